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
        fun shot(name: String) {
            val file = File(dir, "$name-${strings.language}-${if (dark) "dark" else "light"}.png")
            file.writeBytes(ScreenRenderer.png { SoftTokenApp(phone.app, darkTheme = dark) })
            assertTrue(file.length() > 10_000, "$file is not a picture of a screen")
        }
        val app = phone.app
        val userId = TestPhone.issue()
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
        TestProvider.bank.revoke(userId)
        runBlocking { app.refresh().join() }
        waitFor { app.code?.token?.status == TokenStatus.REVOKED }
        shot("code-revoked")
    }

    private fun waitFor(condition: () -> Boolean) {
        val until = System.currentTimeMillis() + 15_000
        while (!condition()) {
            check(System.currentTimeMillis() < until) { "timed out" }
            Thread.sleep(50)
        }
    }
}
