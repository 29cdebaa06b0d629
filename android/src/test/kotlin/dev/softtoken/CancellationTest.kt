package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.io.File
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.Collections
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import kotlin.test.assertFailsWith
import org.junit.jupiter.api.io.TempDir

/** Cancelling a suspended call stops it promptly, and the library keeps working. */
class CancellationTest {
    @TempDir
    lateinit var dataDir: File

    @Test
    fun `cancelling an activation that waits on a silent server ends it promptly`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        val held = Collections.synchronizedList(mutableListOf<Socket>())
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { silent ->
            // Accepts connections and never answers (not even the TLS handshake).
            val acceptor = thread(isDaemon = true) {
                runCatching { while (true) held += silent.accept() }
            }
            TestProvider.client(File(dataDir, "silent"), providerUrl = "https://127.0.0.1:${silent.localPort}")
                .use { client ->
                    val activation = async(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) {
                        client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
                    }
                    // Wait until the core is connected and waiting for an answer.
                    withTimeout(10.seconds) { while (held.isEmpty()) delay(10) }
                    delay(200)
                    assertTrue(activation.isActive, "still waiting on the silent server")

                    val cancelledAt = TimeSource.Monotonic.markNow()
                    activation.cancel()
                    assertFailsWith<CancellationException> { activation.await() }
                    val took = cancelledAt.elapsedNow()
                    assertTrue(took < 1.seconds, "cancellation took $took")
                    assertTrue(activation.isCancelled)

                    // The same client still works.
                    assertTrue(client.tokens().isEmpty())
                    assertFailsWith<SoftTokenException.InvalidUserId> {
                        client.activate(TestProvider.serviceId, "1234", ACTIVATION_PASSWORD)
                    }
                }
            silent.close()
            acceptor.join(5_000)
            held.forEach { it.close() }
        }
        // And the library still activates against the real provider.
        TestProvider.client(File(dataDir, "real")).use { client ->
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            assertEquals(
                "accepted",
                TestProvider.bank.verify(userId, client.currentCode(token.id).code),
            )
        }
    }
}
