package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.io.File
import java.net.ServerSocket
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertFailsWith
import org.junit.jupiter.api.io.TempDir

/** Activation against the real provider, from Kotlin, with Kotlin-implemented secret stores. */
class ActivationTest {
    @TempDir
    lateinit var dataDir: File

    @Test
    fun `activation gives a code the bank accepts, and the token becomes active`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        val store = MemorySecretStore()
        TestProvider.client(dataDir, store).use { client ->
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            assertEquals("${TestProvider.serviceId}-$userId", token.id)
            assertEquals(TokenStatus.PENDING_CONFIRMATION, token.status)
            assertEquals(8, token.digits)
            assertEquals(30, token.period)
            assertEquals(listOf(token), client.tokens())
            // The seed went to the Kotlin store, under the core's key name.
            assertEquals(setOf("dev.softtoken.seed/${token.id}"), store.keys())

            val code = client.currentCode(token.id)
            assertTrue(code.code.matches(Regex("[0-9]{8}")), "8 digits")
            assertTrue(code.remainingMs in 1..30_000, "remainingMs ${code.remainingMs}")
            assertTrue("<redacted>" in code.toString() && code.code !in code.toString())
            assertEquals(code.validFromUnix + token.period, code.validUntilUnix())
            assertEquals(code.remainingMs / 30_000f, code.remainingFraction(), 1e-6f)
            assertEquals("accepted", TestProvider.bank.verify(userId, code.code))

            assertEquals(TokenStatus.ACTIVE, client.refresh(token.id).status)
            assertEquals(TokenStatus.ACTIVE, client.tokens().single().status)

            assertEquals("my bank", client.rename(token.id, "my bank").label)
            client.remove(token.id)
            assertTrue(client.tokens().isEmpty())
            assertTrue(store.keys().isEmpty(), "the seed is removed with the token")
            assertFailsWith<SoftTokenException.TokenNotFound> { client.currentCode(token.id) }
        }
    }

    @Test
    fun `a wrong password says how many attempts are left`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        TestProvider.client(dataDir).use { client ->
            val e = assertFailsWith<SoftTokenException.WrongActivationPassword> {
                client.activate(TestProvider.serviceId, userId, "Wrong#2026")
            }
            assertEquals(4, e.attemptsLeft)
            assertEquals(e.detail, e.message)
            assertTrue(!e.isRetryable)
            assertTrue(client.tokens().isEmpty())
            // The right password still works.
            client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            assertEquals(1, client.tokens().size)
        }
    }

    @Test
    fun `full-width digits, spaces and hyphens in the IDs are accepted`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        val typedService = TestProvider.serviceId.map { '０' + (it - '0') }.joinToString("")
        val typedUser = userId.chunked(4).joinToString(" - ") { chunk ->
            chunk.map { if (it in '0'..'9') '０' + (it - '0') else it }.joinToString("")
        }
        TestProvider.client(dataDir).use { client ->
            val token = client.activate(typedService, typedUser, ACTIVATION_PASSWORD)
            assertEquals(TestProvider.serviceId, token.serviceId)
            assertEquals(userId, token.userId)
        }
    }

    @Test
    fun `a secret store that fails on write leaves no token, and a retry works`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        TestProvider.client(dataDir, FailingOnSetSecretStore()).use { client ->
            val e = assertFailsWith<SoftTokenException.KeystoreUnavailable> {
                client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            }
            assertTrue(e.isRetryable)
            assertTrue("disk full" in e.detail, e.detail)
            assertTrue(client.tokens().isEmpty(), "no token left behind")
        }
        // Once the store works again, the user retries with the same password.
        TestProvider.client(dataDir, MemorySecretStore()).use { client ->
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            assertEquals(listOf(token), client.tokens())
            val code = client.currentCode(token.id)
            assertEquals("accepted", TestProvider.bank.verify(userId, code.code))
        }
    }

    @Test
    fun `a secret store that throws something unexpected fails cleanly`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        val buggy = object : SecretStore by MemorySecretStore() {
            override fun set(key: String, value: ByteArray): Unit = throw IllegalStateException("bug")
        }
        TestProvider.client(dataDir, buggy).use { client ->
            assertFailsWith<SoftTokenException.KeystoreUnavailable> {
                client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            }
            assertTrue(client.tokens().isEmpty(), "no token left behind")
        }
    }

    @Test
    fun `typos in the IDs are caught before anything is sent`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        val typo = Fixtures.userIdWithTypo(userId)
        val connections = AtomicInteger()
        ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress()).use { server ->
            val acceptor = thread(isDaemon = true) {
                runCatching { while (true) server.accept().use { connections.incrementAndGet() } }
            }
            TestProvider.client(dataDir, providerUrl = "https://127.0.0.1:${server.localPort}").use { client ->
                assertFailsWith<SoftTokenException.InvalidUserId> {
                    client.activate(TestProvider.serviceId, typo, ACTIVATION_PASSWORD)
                }
                assertFailsWith<SoftTokenException.InvalidServiceId> {
                    client.activate("1012123", userId, ACTIVATION_PASSWORD)
                }
                assertFailsWith<SoftTokenException.InvalidInput> {
                    client.activate(TestProvider.serviceId, userId, "")
                }
            }
            server.close()
            acceptor.join(5_000)
        }
        assertEquals(0, connections.get(), "nothing was sent")
    }

    @Test
    fun `a revoked token shows no code after a refresh`() = runBlocking<Unit> {
        val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
        TestProvider.client(dataDir).use { client ->
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            TestProvider.bank.revoke(userId)
            assertEquals(TokenStatus.REVOKED, client.refresh(token.id).status)
            assertFailsWith<SoftTokenException.TokenRevoked> { client.currentCode(token.id) }
        }
    }

    @Test
    fun `a closed client refuses calls`() {
        val client = TestProvider.client(dataDir)
        client.use { assertTrue(it.tokens().isEmpty()) }
        client.close() // idempotent
        assertFailsWith<IllegalStateException> { client.tokens() }
    }
}
