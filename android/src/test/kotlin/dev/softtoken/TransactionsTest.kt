package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/**
 * Transaction authentication (取引認証) from Kotlin against the real provider: the bank registers
 * a transfer, the phone lists it, and the user approves, rejects or types its code.
 */
class TransactionsTest {
    @TempDir
    lateinit var dataDir: File

    private val bank get() = TestProvider.bank

    /** A token the bank issued, set up on [client] and confirmed (認証確認): `active`. */
    private suspend fun activeToken(client: SoftTokenClient): Pair<String, TokenInfo> {
        val userId = bank.issue(EMAIL, ACTIVATION_PASSWORD)
        val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
        assertEquals("accepted", bank.verify(userId, client.currentCode(token.id).code))
        return userId to token
    }

    @Test
    fun `the phone shows the registered payee and amount, and a tap approves it`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val (userId, token) = activeToken(client)
            val id = bank.registerTransaction(userId, BankClient.Transfer(reference = "3月分家賃"))

            val shown = client.pendingTransactions(token.id).single()
            assertEquals(id, shown.id)
            assertEquals("0001", shown.bankCode)
            assertEquals("101", shown.branchCode)
            assertEquals(AccountKind.ORDINARY, shown.accountKind)
            assertEquals("1234567", shown.accountNumber)
            assertEquals("ヤマダ タロウ", shown.payeeName, "the bank's half-width kana, shown full-width")
            assertEquals(1_234_567L, shown.amountYen)
            assertEquals("3月分家賃", shown.reference)
            assertEquals("¥1,234,567", shown.amountYenSign)
            assertEquals("1,234,567円", shown.amountEnSuffix)
            assertEquals("普通", shown.accountTypeLabel)
            assertEquals("普通 1234567", shown.accountLine)
            assertTrue(shown.expiresAtMs > System.currentTimeMillis())
            assertFalse("ヤマダ" in shown.toString() || "1234567" in shown.toString(), "toString logs no payee")

            assertEquals(DecisionOutcome.APPROVED, client.approve(token.id, id))
            assertEquals("approved", bank.transactionState(id))
            assertTrue(client.pendingTransactions(token.id).isEmpty())
        }
    }

    @Test
    fun `a reject tells the bank the user did not recognise the transfer`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val (userId, token) = activeToken(client)
            val id = bank.registerTransaction(
                userId,
                BankClient.Transfer(accountType = "savings", accountNumber = "7654321", amountYen = 50_000),
            )
            val shown = client.pendingTransactions(token.id).single()
            assertEquals("貯蓄 7654321", shown.accountLine)
            assertEquals("¥50,000", shown.amountYenSign)

            assertEquals(DecisionOutcome.REJECTED, client.reject(token.id, id))
            assertEquals("rejected", bank.transactionState(id))
            val again = assertFailsWith<SoftTokenException.TransactionNotFound> { client.approve(token.id, id) }
            assertTrue(again.detail.isNotEmpty())
        }
    }

    @Test
    fun `the transaction code is accepted once by the bank`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val (userId, token) = activeToken(client)
            val id = bank.registerTransaction(userId, BankClient.Transfer(amountYen = 9_800))
            client.pendingTransactions(token.id)

            val code = client.transactionCode(token.id, id)
            assertTrue(code.code.matches(Regex("[0-9]{8}")), "8 digits")
            assertEquals(60, code.period)
            assertTrue(code.remainingMs in 1..60_000, "remainingMs ${code.remainingMs}")
            assertEquals("accepted", bank.verifyTransaction(id, code.code))
            assertEquals("confirmed", bank.transactionState(id))
            assertEquals("replayed", bank.verifyTransaction(id, code.code))
        }
    }

    @Test
    fun `the pending flow shows a new transfer and fails once the token is revoked`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val (userId, token) = activeToken(client)
            val lists = withTimeout(30.seconds) {
                client.pendingTransactionsFlow(token.id, period = 100.milliseconds)
                    .onEach { if (it.isEmpty()) bank.registerTransaction(userId, BankClient.Transfer()) }
                    .take(2)
                    .toList()
            }
            assertTrue(lists[0].isEmpty())
            assertEquals("¥1,234,567", lists[1].single().amountYenSign)

            bank.revoke(userId)
            assertFailsWith<SoftTokenException.TokenRevoked> {
                withTimeout(30.seconds) {
                    client.pendingTransactionsFlow(token.id, period = 100.milliseconds).toList()
                }
            }
        }
    }

    @Test
    fun `three wrong transaction codes fail the transfer and the right one is refused after`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val (userId, token) = activeToken(client)
            val id = bank.registerTransaction(userId, BankClient.Transfer(amountYen = 2_000))
            client.pendingTransactions(token.id)
            val right = client.transactionCode(token.id, id).code
            val wrong = if (right == "00000000") "11111111" else "00000000"

            repeat(2) { assertEquals("rejected", bank.verifyTransaction(id, wrong)) }
            assertEquals("failed", bank.verifyTransaction(id, wrong))
            assertEquals("failed", bank.transactionState(id))
            assertEquals("failed", bank.verifyTransaction(id, right), "a failed transfer takes no code")
        }
    }

    @Test
    fun `a revoked token fails its transfer and takes no new one`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val (userId, token) = activeToken(client)
            val id = bank.registerTransaction(userId, BankClient.Transfer(amountYen = 3_000))
            bank.revoke(userId)
            assertEquals("failed", bank.transactionState(id))

            // The list's MAC proves the state `revoked` and lists nothing; after that the phone
            // refuses the token's transaction calls without asking.
            assertTrue(client.pendingTransactions(token.id).isEmpty())
            assertFailsWith<SoftTokenException.TokenRevoked> { client.pendingTransactions(token.id) }
            assertFailsWith<SoftTokenException.TokenRevoked> { client.transactionCode(token.id, id) }
            val refused = assertFailsWith<BankClient.Refused> {
                bank.registerTransaction(userId, BankClient.Transfer(amountYen = 1))
            }
            assertEquals(409 to "token_not_active", refused.status to refused.code, refused.message)
        }
    }

    @Test
    fun `a relay that changes the payee is PossibleInterception and nothing of it can be acted on`() =
        runBlocking<Unit> {
            val store = MemorySecretStore()
            TestProvider.client(dataDir, store).use { client ->
                val (userId, token) = activeToken(client)
                val id = bank.registerTransaction(userId, BankClient.Transfer(accountNumber = "1234567"))

                // The same phone (data directory and secret store), its traffic now through the relay.
                TestProvider.client(dataDir, store, providerUrl = TestProvider.relayUrl).use { relayed ->
                    assertFailsWith<SoftTokenException.PossibleInterception> {
                        relayed.pendingTransactions(token.id)
                    }
                    assertFailsWith<SoftTokenException.TransactionNotFound> { relayed.transactionCode(token.id, id) }
                    assertFailsWith<SoftTokenException.TransactionNotFound> { relayed.approve(token.id, id) }
                }
                assertEquals("pending", bank.transactionState(id), "nothing was decided")

                val genuine = client.pendingTransactions(token.id).single()
                assertEquals("普通 1234567", genuine.accountLine)
            }
        }

    @Test
    fun `offline codes take typed input and refuse what is not a number`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val userId = bank.issue(EMAIL, ACTIVATION_PASSWORD)
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)

            // As typed on a phone: full-width digits, a hyphen, the yen sign and grouping.
            val code = client.offlineCode(token.id, "１２３-４５６７", "¥1,234,567")
            assertTrue(code.code.matches(Regex("[0-9]{8}")), "8 digits")
            assertEquals(60, code.period)
            assertEquals(code.code, client.offlineCode(token.id, "1234567", "1234567円").code)

            for ((account, amount) in listOf("12345" to null, "12a4567" to null, "1234567" to "12.5", "" to null)) {
                assertFailsWith<SoftTokenException.InvalidInput>("$account / $amount") {
                    client.offlineCode(token.id, account, amount)
                }
            }
        }
    }

    @Test
    fun `an id no verified list showed is TransactionNotFound`() = runBlocking<Unit> {
        TestProvider.client(dataDir).use { client ->
            val userId = bank.issue(EMAIL, ACTIVATION_PASSWORD)
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            assertFailsWith<SoftTokenException.TransactionNotFound> {
                client.transactionCode(token.id, "AAECAwQFBgcICQoLDA0ODw")
            }
            assertFailsWith<SoftTokenException.TransactionNotFound> {
                client.approve(token.id, "AAECAwQFBgcICQoLDA0ODw")
            }
        }
    }

    @Test
    fun `the amount formats group thousands`() {
        assertEquals("¥1,234,567", formatYenSign(1_234_567))
        assertEquals("1,234,567円", formatEnSuffix(1_234_567))
        assertEquals("¥0", formatYenSign(0))
        assertEquals("999円", formatEnSuffix(999))
    }
}
