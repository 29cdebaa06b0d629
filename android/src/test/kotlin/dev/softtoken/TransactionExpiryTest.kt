package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.api.parallel.Isolated

/**
 * A transfer left past its deadline (5 minutes) on the provider's manual clock, moved through
 * the test kit's clock control: no sleeping. `@Isolated` because the provider's clock is the
 * whole suite's; [ProviderClock.advancedBy] puts it back before the next test.
 */
@Isolated
class TransactionExpiryTest {
    @TempDir
    lateinit var dataDir: File

    private val bank get() = TestProvider.bank

    @Test
    fun `past its deadline a transfer is expired on the phone and at the bank`() = runBlocking<Unit> {
        // The phone's clock is the provider's, so both see the five minutes pass.
        TestProvider.client(dataDir, clock = ProviderClock).use { client ->
            val userId = bank.issue(EMAIL, ACTIVATION_PASSWORD)
            val token = client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD)
            assertEquals("accepted", bank.verify(userId, client.currentCode(token.id).code))
            val id = bank.registerTransaction(userId, BankClient.Transfer(amountYen = 1_000))
            assertEquals(id, client.pendingTransactions(token.id).single().id)

            ProviderClock.advancedBy(301) {
                assertFailsWith<SoftTokenException.TransactionExpired> { client.transactionCode(token.id, id) }
                assertFailsWith<SoftTokenException.TransactionExpired> { client.approve(token.id, id) }
                assertEquals("expired", bank.transactionState(id))
            }
        }
    }
}
