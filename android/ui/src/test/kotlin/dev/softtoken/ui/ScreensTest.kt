package dev.softtoken.ui

import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsNodeInteraction
import androidx.compose.ui.test.assertIsDisplayed
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runComposeUiTest
import androidx.compose.ui.text.TextLayoutResult
import androidx.compose.ui.text.VerbatimTtsAnnotation
import androidx.compose.ui.unit.dp
import dev.softtoken.BankClient
import dev.softtoken.Fixtures
import dev.softtoken.TestProvider
import dev.softtoken.TokenStatus
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import org.junit.Test

/** Every screen driven headless against the real provider, as a user would. */
@OptIn(ExperimentalTestApi::class)
class ScreensTest {
    @Test
    fun `setup with typed IDs, the code and its semantics, confirmation at the bank`() = runComposeUiTest {
        val userId = TestPhone.issue()
        TestPhone().use { phone ->
            setContent { phone.Content() }
            // Full-width Service ID; a User ID with a typo is flagged before sending.
            onNodeWithTag(Tags.SERVICE_ID).performTextInput("１０１２ １２３４")
            onNodeWithTag(Tags.USER_ID).performTextInput(Fixtures.userIdWithTypo(userId))
            onNodeWithTag(Tags.PASSWORD).performTextInput(Fixtures.ACTIVATION_PASSWORD)
            onNodeWithText("ユーザIDに誤りがあります。メールの記載を確認してください").assertExists()
            onNodeWithTag(Tags.SUBMIT).assertIsNotEnabled()
            phone.app.setup.onUserIdChange(userId.chunked(4).joinToString("-"))
            waitForIdle()
            onNodeWithTag(Tags.SUBMIT).assertIsEnabled()
            // The password is hidden until shown.
            assertTrue(Fixtures.ACTIVATION_PASSWORD !in textOf(onNodeWithTag(Tags.PASSWORD)))
            onNodeWithTag(Tags.PASSWORD_TOGGLE).performClick()
            assertTrue(Fixtures.ACTIVATION_PASSWORD in textOf(onNodeWithTag(Tags.PASSWORD)))

            onNodeWithTag(Tags.SUBMIT).performClick()
            waitUntil(timeoutMillis = 30_000) { phone.app.screen is Screen.SetupDone }
            onNodeWithText("初期設定完了").assertIsDisplayed()
            onNodeWithTag(Tags.NEXT).performClick()

            waitUntil(timeoutMillis = 10_000) { phone.app.code?.copyText != null }
            val digits = phone.app.code!!.copyText!!
            val codeNode = onNodeWithTag(Tags.CODE)
            assertEquals("${digits.take(4)} ${digits.drop(4)}", textOf(codeNode))
            assertEquals(
                listOf("ワンタイムパスワード ${digits.toList().joinToString(" ")}"),
                codeNode.fetchSemanticsNode().config[SemanticsProperties.ContentDescription],
            )
            val annotated = codeNode.fetchSemanticsNode().config[SemanticsProperties.Text].single()
            val tts = annotated.getTtsAnnotations(0, annotated.length).single().item
            assertEquals(VerbatimTtsAnnotation(digits), tts)
            onNodeWithTag(Tags.COUNTDOWN).assertExists()
            onNodeWithTag(Tags.banner(BannerKind.PENDING_CONFIRMATION)).assertExists()

            onNodeWithTag(Tags.COPY).performClick()
            assertEquals(digits, phone.clipboard.copied?.text)

            // 認証確認 at the bank, then the phone learns it.
            assertEquals("accepted", TestProvider.bank.verify(userId, digits))
            onNodeWithTag(Tags.REFRESH).performScrollTo().performClick()
            waitUntil(timeoutMillis = 10_000) { phone.app.code?.token?.status == TokenStatus.ACTIVE }
            waitForIdle()
            onNodeWithTag(Tags.banner(BannerKind.PENDING_CONFIRMATION)).assertDoesNotExist()
            assertTouchTargets(this)
        }
    }

    @Test
    fun `a wrong password says how many tries are left, a network failure offers a retry`() = runComposeUiTest {
        val userId = TestPhone.issue()
        TestPhone().use { phone ->
            setContent { phone.Content() }
            type(phone, userId, "Wrong#2026")
            onNodeWithTag(Tags.SUBMIT).performClick()
            waitUntil(timeoutMillis = 30_000) { phone.app.setup.error != null }
            assertEquals(SetupProblem.WRONG_PASSWORD, phone.app.setup.error!!.problem)
            onNodeWithText("あと4回", substring = true).assertExists()
            onNodeWithTag(Tags.RETRY).assertDoesNotExist()
        }
        // Nothing listens on port 9: the connection is refused, for real.
        TestPhone(providerUrl = "https://127.0.0.1:9").use { phone ->
            setContent { phone.Content() }
            type(phone, userId, Fixtures.ACTIVATION_PASSWORD)
            onNodeWithTag(Tags.SUBMIT).performClick()
            waitUntil(timeoutMillis = 30_000) { phone.app.setup.error != null }
            assertEquals(SetupProblem.NETWORK, phone.app.setup.error!!.problem)
            onNodeWithText("通信できませんでした。", substring = true).assertExists()
            onNodeWithTag(Tags.RETRY).performClick()
            waitUntil(timeoutMillis = 30_000) { !phone.app.setup.busy && phone.app.setup.error != null }
            assertEquals(SetupProblem.NETWORK, phone.app.setup.error!!.problem, "the retry sent again")
        }
    }

    @Test
    fun `banners for a locked, a revoked and a restored token, caused for real`() = runComposeUiTest {
        TestPhone().use { phone ->
            val locked = activeToken(phone)
            setContent { phone.Content() }
            phone.app.openCode(locked.first)
            repeat(5) { TestProvider.bank.verify(locked.second, "00000000") }
            phone.app.refresh()
            waitUntil(timeoutMillis = 10_000) { phone.app.code?.token?.status == TokenStatus.LOCKED }
            waitForIdle()
            onNodeWithTag(Tags.banner(BannerKind.LOCKED)).assertExists()
            onNodeWithText("ロック解除", substring = true).assertExists()

            TestProvider.bank.revoke(locked.second)
            phone.app.refresh()
            waitUntil(timeoutMillis = 10_000) { phone.app.code?.token?.status == TokenStatus.REVOKED }
            waitForIdle()
            onNodeWithTag(Tags.banner(BannerKind.REVOKED)).assertExists()
            onNodeWithTag(Tags.SET_UP_AGAIN).assertExists()

            val restored = activeToken(phone)
            phone.app.openTokens()
            phone.app.openCode(restored.first)
            waitUntil(timeoutMillis = 10_000) { phone.app.code?.copyText != null }
            // A restored phone: the metadata came back, the seed did not.
            phone.store.keys().filter { restored.first in it }.forEach(phone.store::delete)
            phone.app.refresh()
            waitUntil(timeoutMillis = 10_000) { phone.app.code?.banners?.any { it.kind == BannerKind.NEEDS_RESETUP } == true }
            waitForIdle()
            onNodeWithTag(Tags.banner(BannerKind.NEEDS_RESETUP)).assertExists()
            onNodeWithText("ワンタイムパスワードは表示できません").assertExists()
        }
    }

    @Test
    fun `tokens are renamed, and removed only after a warning that it cannot be undone`() = runComposeUiTest {
        TestPhone().use { phone ->
            val (first, _) = activeToken(phone)
            val (second, _) = activeToken(phone)
            setContent { phone.Content() }
            phone.app.openTokens()
            waitForIdle()
            onNodeWithText("2件（最大10件）").assertExists()
            onNodeWithTag("${Tags.RENAME}.$first").performScrollTo().performClick()
            onNodeWithTag(Tags.RENAME_FIELD).performTextInput("給与口座")
            onNodeWithTag(Tags.RENAME_SAVE).performClick()
            onNodeWithText("給与口座").assertExists()
            assertEquals("給与口座", phone.client.tokens().first { it.id == first }.label)

            onNodeWithTag("${Tags.REMOVE}.$second").performScrollTo().performClick()
            onNodeWithText("削除すると元に戻せません", substring = true).assertExists()
            onNodeWithTag(Tags.REMOVE_CANCEL).performClick()
            assertEquals(2, phone.client.tokens().size, "cancel keeps it")
            onNodeWithTag("${Tags.REMOVE}.$second").performScrollTo().performClick()
            onNodeWithTag(Tags.REMOVE_CONFIRM).performClick()
            waitForIdle()
            assertEquals(listOf(first), phone.client.tokens().map { it.id })
            onNodeWithText("1件（最大10件）").assertExists()
        }
    }

    @Test
    fun `a pending transfer is approved or rejected, with its code and the offline entry`() = runComposeUiTest {
        TestPhone(Strings.EN).use { phone ->
            val (tokenId, userId) = activeToken(phone)
            val approveId = TestProvider.bank.registerTransaction(userId, transfer(12_345))
            setContent { phone.Content() }
            phone.app.openCode(tokenId)
            waitForIdle()
            onNodeWithTag(Tags.OPEN_TRANSACTIONS).performScrollTo().performClick()
            waitUntil(timeoutMillis = 10_000) { phone.app.transactions?.pending?.isNotEmpty() == true }
            waitForIdle()
            onNodeWithText("Amount: ¥12,345").assertExists()
            onNodeWithTag("${Tags.TX_SHOW_CODE}.$approveId").performClick()
            onNodeWithTag(Tags.TX_CODE).assertExists()
            onNodeWithTag("${Tags.APPROVE}.$approveId").performClick()
            waitUntil(timeoutMillis = 10_000) { phone.app.transactions?.outcome != null }
            assertEquals("Approved", phone.app.transactions?.outcome)
            assertEquals("approved", TestProvider.bank.transactionState(approveId))

            val rejectId = TestProvider.bank.registerTransaction(userId, transfer(500))
            scopeLoad(phone)
            waitUntil(timeoutMillis = 10_000) { phone.app.transactions?.pending?.any { it.id == rejectId } == true }
            waitForIdle()
            onNodeWithTag("${Tags.REJECT}.$rejectId").performScrollTo().performClick()
            waitUntil(timeoutMillis = 10_000) { phone.app.transactions?.outcome == "Rejected" }
            assertEquals("rejected", TestProvider.bank.transactionState(rejectId))

            onNodeWithTag(Tags.OFFLINE_ACCOUNT).performScrollTo().performTextInput("1234567")
            onNodeWithTag(Tags.OFFLINE_AMOUNT).performScrollTo().performTextInput("10,000")
            onNodeWithTag(Tags.OFFLINE_GENERATE).performScrollTo().performClick()
            assertTrue(phone.app.transactions?.offlineCode?.matches(Regex("[0-9]{4} [0-9]{4}")) == true)
            onNodeWithTag(Tags.OFFLINE_CODE).assertExists()
        }
    }

    @Test
    fun `the phone change guide is reachable from the code screen`() = runComposeUiTest {
        TestPhone().use { phone ->
            activeToken(phone)
            setContent { phone.Content() }
            phone.app.openCode(phone.client.tokens().first().id)
            waitForIdle()
            onNodeWithTag(Tags.OPEN_PHONE_CHANGE).performScrollTo().performClick()
            onNodeWithText("今のスマートフォンが手元にある場合").assertExists()
            onNodeWithText("今のスマートフォンをなくした場合").assertExists()
            onNodeWithTag(Tags.BACK).performClick()
            assertTrue(phone.app.screen is Screen.Code)
        }
    }

    @Test
    fun `at font scale 2 the digits wrap but are never cut`() = runComposeUiTest {
        TestPhone().use { phone ->
            activeToken(phone)
            setContent { phone.Content(fontScale = 2f) }
            phone.app.openCode(phone.client.tokens().first().id)
            waitUntil(timeoutMillis = 10_000) { phone.app.code?.copyText != null }
            waitForIdle()
            val layout = textLayout(onNodeWithTag(Tags.CODE))
            assertTrue(!layout.hasVisualOverflow, "no overflow at font scale 2")
            assertEquals(phone.app.code!!.groupedCode, layout.layoutInput.text.text)
            assertTrue(layout.lineCount <= 2)
            assertTouchTargets(this)
        }
    }

    private fun ComposeUiTest.type(phone: TestPhone, userId: String, password: String) {
        onNodeWithTag(Tags.SERVICE_ID).performTextInput(TestProvider.serviceId)
        onNodeWithTag(Tags.USER_ID).performTextInput(userId)
        onNodeWithTag(Tags.PASSWORD).performTextInput(password)
        waitForIdle()
        assertTrue(phone.app.setup.canSubmit)
    }

    private fun scopeLoad(phone: TestPhone) {
        kotlinx.coroutines.runBlocking { phone.app.transactions?.load() }
    }

    private fun transfer(yen: Long) = BankClient.Transfer(amountYen = yen)

    /** Sets up a token through the client and confirms it at the bank: (token id, User ID). */
    private fun activeToken(phone: TestPhone): Pair<String, String> = kotlinx.coroutines.runBlocking {
        val userId = TestPhone.issue()
        val token = phone.client.activate(TestProvider.serviceId, userId, Fixtures.ACTIVATION_PASSWORD)
        assertEquals("accepted", TestProvider.bank.verify(userId, phone.client.currentCode(token.id).code))
        phone.client.refresh(token.id)
        phone.app.tokens.reload()
        token.id to userId
    }

    private fun textOf(node: SemanticsNodeInteraction): String {
        val config = node.fetchSemanticsNode().config
        return (config.getOrNull(SemanticsProperties.EditableText)?.text)
            ?: config[SemanticsProperties.Text].joinToString("") { it.text }
    }

    private fun textLayout(node: SemanticsNodeInteraction): TextLayoutResult {
        val results = mutableListOf<TextLayoutResult>()
        node.fetchSemanticsNode().config[SemanticsActions.GetTextLayoutResult].action?.invoke(results)
        return assertNotNull(results.firstOrNull())
    }

    /** Every clickable node on screen is at least 48 × 48 dp to touch. */
    private fun assertTouchTargets(test: ComposeUiTest) {
        val nodes = test.onAllNodes(androidx.compose.ui.test.hasClickAction()).fetchSemanticsNodes()
        assertTrue(nodes.isNotEmpty())
        with(test.density) {
            for (node in nodes) {
                val bounds = node.touchBoundsInRoot
                assertTrue(
                    bounds.width >= 48.dp.toPx() - 0.5f && bounds.height >= 48.dp.toPx() - 0.5f,
                    "touch target ${bounds.width.toDp()} × ${bounds.height.toDp()} of ${node.config}",
                )
            }
        }
    }
}
