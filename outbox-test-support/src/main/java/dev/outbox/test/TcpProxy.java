package dev.outbox.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.jspecify.annotations.Nullable;

/**
 * A TCP forwarder in front of a broker that a test can cut (every connection dropped, new
 * ones refused) and restore on the same port, or freeze (connections open, nothing
 * forwarded) and thaw: an outage of a broker or database as the client sees it.
 */
public final class TcpProxy implements AutoCloseable {

	private final String targetHost;

	private final int targetPort;

	private final int port;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private volatile ServerSocket server;

	private volatile @Nullable CountDownLatch frozen;

	public TcpProxy(String targetHost, int targetPort) throws IOException {
		this.targetHost = targetHost;
		this.targetPort = targetPort;
		this.server = bind(0);
		this.port = this.server.getLocalPort();
		accept(this.server);
	}

	public int port() {
		return this.port;
	}

	public synchronized void cut() throws IOException {
		this.server.close();
		for (Socket socket : this.sockets) {
			socket.close();
		}
		this.sockets.clear();
	}

	/**
	 * Stop forwarding bytes in both directions while keeping every connection open: a
	 * peer that hangs (a network partition, a stalled broker) rather than one that is
	 * gone. Bytes sent meanwhile are held and forwarded on {@link #thaw()}.
	 */
	public void freeze() {
		this.frozen = new CountDownLatch(1);
	}

	/**
	 * Forward again, starting with the bytes held since {@link #freeze()}.
	 */
	public void thaw() {
		CountDownLatch latch = this.frozen;
		this.frozen = null;
		if (latch != null) {
			latch.countDown();
		}
	}

	public synchronized void restore() throws IOException {
		this.server = bind(this.port);
		accept(this.server);
	}

	private static ServerSocket bind(int port) throws IOException {
		ServerSocket server = new ServerSocket();
		server.setReuseAddress(true);
		server.bind(new InetSocketAddress("127.0.0.1", port));
		return server;
	}

	private void accept(ServerSocket server) {
		Thread acceptor = new Thread(() -> {
			while (!server.isClosed()) {
				try {
					Socket client = server.accept();
					Socket target = new Socket(this.targetHost, this.targetPort);
					if (!register(server, client, target)) {
						continue;
					}
					pipe(client, target);
					pipe(target, client);
				}
				catch (IOException ex) {
					// closed by cut()
				}
			}
		}, "tcp-proxy-accept");
		acceptor.setDaemon(true);
		acceptor.start();
	}

	/**
	 * Registers an accepted connection under the lock {@link #cut()} takes, so that a
	 * connection accepted while the proxy is being cut is closed rather than surviving.
	 */
	private synchronized boolean register(ServerSocket server, Socket client, Socket target) throws IOException {
		if (server != this.server || server.isClosed()) {
			client.close();
			target.close();
			return false;
		}
		this.sockets.add(client);
		this.sockets.add(target);
		return true;
	}

	private void pipe(Socket from, Socket to) {
		Thread thread = new Thread(() -> {
			byte[] buffer = new byte[16384];
			try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
				int read;
				while ((read = in.read(buffer)) != -1) {
					CountDownLatch latch = this.frozen;
					if (latch != null) {
						latch.await();
					}
					out.write(buffer, 0, read);
					out.flush();
				}
			}
			catch (IOException ex) {
				// connection cut
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			finally {
				try {
					from.close();
					to.close();
				}
				catch (IOException ex) {
					// ignore
				}
			}
		}, "tcp-proxy-pipe");
		thread.setDaemon(true);
		thread.start();
	}

	@Override
	public void close() throws IOException {
		thaw();
		cut();
	}

}
