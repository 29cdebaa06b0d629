package dev.softtoken.ui

import dev.softtoken.Fixtures
import dev.softtoken.TestProvider
import dev.softtoken.TokenStatus
import dev.softtoken.BankClient
import dev.softtoken.ui.desktop.ScreenRenderer
import java.io.File
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Assume.assumeTrue
import org.junit.Test

/**
 * The pictures of `docs/screens/`: every screen in ja and en, light and dark, drawn offscreen
 * from a phone set up against the real provider. Runs when `softtoken.screens.dir` names the
 * directory (`cargo xtask screens`); skipped in the plain test run.
 */
class ScreenshotsTest {
    private val outDir: String? = System.getProperty("softtoken.screens.dir")?.takeIf { it.isNotBlank() }

    @Test
    fun `render every screen`() {
        assumeTrue("set softtoken.screens.dir (cargo xtask screens)", outDir != null)
        val dir = File(outDir!!).apply { mkdirs() }
        val family = assertNotNull(ScreenRenderer.japaneseFontFamily(), "no font with kana: install fonts-noto-cjk")
        println("Japanese is drawn with $family")
        for (strings in listOf(Strings.JA, Strings.EN)) {
            for (dark in listOf(false, true)) {
                renderAll(strings, dark, dir)
            }
        }
    }

    private fun renderAll(strings: Strings, dark: Boolean, dir: File) = TestPhone(strings).use { phone ->
        fun shot(name: String, app: AppState = phone.app) {
            val file = File(dir, "$name-${strings.language}-${if (dark) "dark" else "light"}.png")
            file.writeBytes(ScreenRenderer.png { SoftTokenApp(app, darkTheme = dark) })
            assertTrue(file.length() > 10_000, "$file is not a picture of a screen")
        }
        val app = phone.app
        val customerRef = java.util.UUID.randomUUID().toString()
        val userId = TestPhone.issue(customerRef)
        app.setup.onServiceIdChange(TestProvider.serviceId)
        app.setup.onUserIdChange(userId.chunked(4).joinToString(" "))
        app.setup.onPasswordChange(Fixtures.ACTIVATION_PASSWORD)
        shot("setup")
        app.setup.onUserIdChange(Fixtures.userIdWithTypo(userId))
        shot("setup-typo")
        app.setup.onUserIdChange(userId)
        runBlocking { app.setup.submit()?.join() }
        shot("done")
        app.next()
        waitFor { app.code?.copyText != null }
        shot("code-pending")
        val code = assertNotNull(app.code?.copyText)
        TestProvider.bank.verify(userId, code)
        runBlocking { app.refresh().join() }
        waitFor { app.code?.token?.status == TokenStatus.ACTIVE && app.code?.copyText != null }
        shot("code")
        TestProvider.bank.registerTransaction(userId, BankClient.Transfer(amountYen = 48_000))
        app.openTransactions()
        waitFor { app.transactions?.pending?.isNotEmpty() == true }
        shot("transactions")
        app.back()
        app.openTokens()
        app.tokens.startRename(app.tokens.tokens.first())
        app.tokens.onRenameChange(if (strings.language == "ja") "給与口座" else "Salary account")
        app.tokens.saveRename()
        shot("tokens")
        app.tokens.askRemove(app.tokens.tokens.first())
        shot("tokens-remove")
        app.tokens.cancelRemove()
        app.back()
        app.openPhoneChange()
        shot("phone-change")
        app.back()
        // 機種変更 without a gap: the customer's new token, set up on a new phone; its 認証確認
        // retires this phone's token, which then says it moved.
        TestPhone(strings).use { newPhone ->
            val newUserId = TestPhone.issue(customerRef)
            val setup = newPhone.app.setup
            setup.onServiceIdChange(TestProvider.serviceId)
            setup.onUserIdChange(newUserId)
            setup.onPasswordChange(Fixtures.ACTIVATION_PASSWORD)
            runBlocking { setup.submit()?.join() }
            newPhone.app.next()
            waitFor { newPhone.app.code?.copyText != null }
            val first = assertNotNull(newPhone.app.code?.copyText)
            var verdict = TestProvider.bank.verify(newUserId, first)
            if (verdict == "replayed") {
                // This phone's code was used in this time step: one code per customer per step.
                waitFor(35_000) { newPhone.app.code?.copyText.let { it != null && it != first } }
                verdict = TestProvider.bank.verify(newUserId, assertNotNull(newPhone.app.code?.copyText))
            }
            check(verdict == "accepted") { "the new phone's 認証確認 said $verdict" }
            runBlocking { app.refresh().join() }
            waitFor { app.code?.token?.status == TokenStatus.REPLACED }
            shot("code-replaced")
            // A lost phone: the bank revokes its token.
            TestProvider.bank.revoke(newUserId)
            runBlocking { newPhone.app.refresh().join() }
            waitFor { newPhone.app.code?.token?.status == TokenStatus.REVOKED }
            shot("code-revoked", newPhone.app)
        }
    }

    private fun waitFor(timeoutMs: Long = 15_000, condition: () -> Boolean) {
        val until = System.currentTimeMillis() + timeoutMs
        while (!condition()) {
            check(System.currentTimeMillis() < until) { "timed out" }
            Thread.sleep(50)
        }
    }
}
