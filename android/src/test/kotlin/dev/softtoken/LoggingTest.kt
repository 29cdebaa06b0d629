package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.io.File
import java.util.Collections
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** [SoftTokenLibrary.setLogger] with a [Logger] implemented from `dev.softtoken` alone. */
class LoggingTest {
    @TempDir
    lateinit var dataDir: File

    private class Record(val level: LogLevel, val target: String, val message: String) {
        override fun toString(): String = "$level $target: $message"
    }

    @Test
    fun `the logger receives the core's records, without secrets`() = runBlocking<Unit> {
        val records = Collections.synchronizedList(mutableListOf<Record>())
        val logger = Logger { level, target, message -> records += Record(level, target, message) }
        SoftTokenLibrary.setLogger(logger, LogLevel.DEBUG)
        try {
            val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
            val code = TestProvider.client(dataDir).use { client ->
                val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
                client.currentCode(token.id).code
            }
            val seen = synchronized(records) { records.toList() }
            assertTrue(
                seen.any {
                    it.level == LogLevel.INFO && it.target.startsWith("softtoken_core") &&
                        "activated" in it.message
                },
                "$seen",
            )
            for (record in seen) {
                assertFalse(ACTIVATION_PASSWORD in record.message, "$record")
                assertFalse(code in record.message, "$record")
            }
        } finally {
            SoftTokenLibrary.setLogger(null)
        }
    }
}
