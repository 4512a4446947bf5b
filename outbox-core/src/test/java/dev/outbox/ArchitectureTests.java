package dev.outbox;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Module rules of {@code outbox-core}.
 */
class ArchitectureTests {

	private static final JavaClasses CORE = new ClassFileImporter()
		.withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
		.importPackages("dev.outbox");

	@Test
	void coreDoesNotDependOnSpringBoot() {
		noClasses().should().dependOnClassesThat().resideInAPackage("org.springframework.boot..").check(CORE);
	}

	@Test
	void packagesHaveNoCycles() {
		slices().matching("dev.outbox.(*)..").should().beFreeOfCycles().check(CORE);
	}

	@Test
	void apiDoesNotDependOnImplementationPackages() {
		noClasses().that()
			.resideInAnyPackage("dev.outbox", "dev.outbox.spi")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage("dev.outbox.jdbc..", "dev.outbox.relay..", "dev.outbox.kafka..", "dev.outbox.amqp..",
					"dev.outbox.consumer..")
			.check(CORE);
	}

}
