package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertNotEquals
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.test.TestScope
import kotlinx.coroutines.test.runTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** [SoftTokenClient.codes] in virtual time: the core's clock follows the test scheduler. */
@OptIn(ExperimentalCoroutinesApi::class) // TestCoroutineScheduler.currentTime
class CodesFlowTest {
    @TempDir
    lateinit var dataDir: File

    /**
     * A device clock that starts at the real now and then moves only with virtual time; a
     * [Clock] implemented from `dev.softtoken` alone, as an app would.
     */
    private class VirtualClock(private val scope: TestScope) : Clock {
        private val start = System.currentTimeMillis()

        override fun nowMs(): Long = start + scope.testScheduler.currentTime
    }

    @Test
    fun `codes tick at once and then at each period boundary`() = runTest {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        TestProvider.client(dataDir, clock = VirtualClock(this)).use { client ->
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            val startedAt = testScheduler.currentTime

            val ticks = client.codes(token.id)
                .map { code -> code to testScheduler.currentTime - startedAt }
                .take(3)
                .toList()

            val (first, firstAt) = ticks[0]
            assertEquals(0, firstAt, "the first code is emitted at once")
            val period = token.period * 1000L
            for (i in 1..2) {
                val (code, at) = ticks[i]
                assertEquals(first.remainingMs + (i - 1) * period, at, "tick $i at the boundary")
                assertEquals(first.validFromUnix + i * token.period, code.validFromUnix)
                assertEquals(period, code.remainingMs, "a fresh code has the whole period left")
                assertNotEquals(ticks[i - 1].first.validFromUnix, code.validFromUnix)
            }
            // The first code is the real one for now: the bank accepts it.
            assertEquals("accepted", TestProvider.bank.verify(userId, first.code))
        }
    }
}
