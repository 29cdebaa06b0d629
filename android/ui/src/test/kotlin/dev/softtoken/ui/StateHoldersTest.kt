package dev.softtoken.ui

import dev.softtoken.Algorithm
import dev.softtoken.IdInputState
import dev.softtoken.OtpCode
import dev.softtoken.SoftTokenException
import dev.softtoken.TokenInfo
import dev.softtoken.TokenStatus
import dev.softtoken.Fixtures
import dev.softtoken.checkUserIdInput
import java.io.File
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.Test

/** What decides what the screens show, tested without drawing (and without sleeping). */
class StateHoldersTest {
    private val ja = Strings.JA
    private val en = Strings.EN

    @Test
    fun `the code is grouped for reading, copied without the space, spoken digit by digit`() {
        assertEquals("1234 5678", CodeText.grouped("12345678"))
        assertEquals("12345678", CodeText.copyText("1234 5678"))
        assertEquals("1 2 3 4 5 6 7 8", CodeText.spokenDigits("12345678"))
    }

    @Test
    fun `the countdown reaches zero exactly at the period boundary`() {
        // Read 12.5 s before the boundary, at t = 1_000 on the injected clock.
        val countdown = Countdown(code(remainingMs = 12_500), shownAtMs = 1_000)
        assertEquals(12_500 / 30_000f, countdown.fraction(1_000), 1e-6f)
        assertEquals(13, countdown.remainingSeconds(1_000))
        assertEquals(500, countdown.msToNextTick(1_000))
        assertFalse(countdown.isOver(1_000 + 12_499))
        assertEquals(1, countdown.remainingMs(1_000 + 12_499))
        assertTrue(countdown.isOver(1_000 + 12_500))
        assertEquals(0f, countdown.fraction(1_000 + 12_500))
        assertEquals(1, countdown.msToNextTick(1_000 + 12_499))
    }

    @Test
    fun `announcements come only at 20 s and 10 s left and when the code changes`() {
        // A whole period ticked every second, as the screen's driver does, then the next code.
        val moments = mutableListOf<Pair<Long, Announcement>>()
        var previous: Long? = null
        val countdown = Countdown(code(remainingMs = 30_000), shownAtMs = 0)
        var now = 0L
        while (!countdown.isOver(now)) {
            val left = countdown.remainingMs(now)
            Announcement.due(previous, left, codeChanged = false)?.let { moments += left to it }
            previous = left
            now += countdown.msToNextTick(now)
        }
        assertEquals(30_000, now, "the last tick is the boundary")
        assertEquals(
            listOf(20_000L to Announcement.TWENTY_SECONDS_LEFT, 10_000L to Announcement.TEN_SECONDS_LEFT),
            moments,
        )
        assertEquals(Announcement.NEW_CODE, Announcement.due(0, 30_000, codeChanged = true))
        assertNull(Announcement.due(null, 15_000, codeChanged = false), "the first look announces nothing")
    }

    @Test
    fun `ID fields accept what users type and flag a typo before sending`() {
        val fullWidth = IdField("１０１２ １２３４", dev.softtoken.checkServiceIdInput("１０１２ １２３４"))
        assertTrue(fullWidth.isComplete)
        assertNull(fullWidth.message(ja))
        val partial = IdField("1012", dev.softtoken.checkServiceIdInput("1012"))
        assertEquals("あと4桁です", partial.message(ja))
        assertEquals("4 more characters", partial.message(en))
        // A valid User ID (the check letters the core accepts for these digits), then one digit off.
        val valid = ('A'..'J').flatMap { a -> ('A'..'J').map { b -> "12345678901234$a$b" } }
            .single { checkUserIdInput(it) is IdInputState.Complete }
        val typed = "１２３４ ５６７８-９０１２ ３４" + valid.takeLast(2).lowercase()
        assertTrue(IdField(typed, checkUserIdInput(typed)).isComplete, "full-width, spaces, hyphens, lower case")
        val typo = IdField(Fixtures.userIdWithTypo(valid), checkUserIdInput(Fixtures.userIdWithTypo(valid)))
        assertTrue(typo.isError)
        assertEquals("ユーザIDに誤りがあります。メールの記載を確認してください", typo.message(ja))
        val letters = IdField("1234567890123456", checkUserIdInput("1234567890123456"))
        assertTrue(letters.isError)
        assertEquals("15文字目はA〜Jの英字です", letters.message(ja))
    }

    @Test
    fun `every typed activation error has its own message and next step`() {
        val cases = listOf(
            SoftTokenException.WrongActivationPassword(3, "x") to SetupProblem.WRONG_PASSWORD,
            SoftTokenException.ActivationLocked("x") to SetupProblem.LOCKED,
            SoftTokenException.TokenExpired("x") to SetupProblem.EXPIRED,
            SoftTokenException.TokenRevoked("x") to SetupProblem.REVOKED,
            SoftTokenException.AlreadyActiveElsewhere("x") to SetupProblem.ACTIVE_ELSEWHERE,
            SoftTokenException.InvalidUserId("x") to SetupProblem.INVALID_IDS,
            SoftTokenException.Network(true, "x") to SetupProblem.NETWORK,
            SoftTokenException.KeystoreUnavailable("x") to SetupProblem.KEYSTORE,
            SoftTokenException.Protocol("x") to SetupProblem.OTHER,
        )
        val texts = mutableSetOf<String>()
        for ((error, problem) in cases) {
            val shown = SetupError.from(error, ja)
            assertEquals(problem, shown.problem)
            assertFalse(shown.message.contains('.') && shown.message.startsWith("error."), "a text, not a key")
            assertTrue(texts.add(shown.message), "own message for $problem")
            assertTrue(shown.nextStep.isNotBlank())
        }
        assertEquals(
            "利用開始パスワード、またはサービスID・ユーザIDが違います。あと3回間違えるとロックされます。",
            SetupError.from(SoftTokenException.WrongActivationPassword(3, "x"), ja).message,
        )
        assertTrue(SetupError.from(SoftTokenException.Network(true, "x"), ja).canRetry, "network → retry")
        assertFalse(SetupError.from(SoftTokenException.ActivationLocked("x"), ja).canRetry)
    }

    @Test
    fun `each non-active state has its banner, with an icon word and a next step`() {
        assertTrue(bannersFor(token(TokenStatus.ACTIVE), null, ja).isEmpty())
        val expected = mapOf(
            TokenStatus.PENDING_CONFIRMATION to BannerKind.PENDING_CONFIRMATION,
            TokenStatus.REVOKED to BannerKind.REVOKED,
            TokenStatus.LOCKED to BannerKind.LOCKED,
            TokenStatus.EXPIRED to BannerKind.EXPIRED,
            TokenStatus.NEEDS_RESETUP to BannerKind.NEEDS_RESETUP,
            TokenStatus.REPLACED to BannerKind.REPLACED,
        )
        for ((status, kind) in expected) {
            assertEquals(listOf(kind), bannersFor(token(status), null, ja).map { it.kind }, "$status")
        }
        assertTrue("ロック解除" in bannersFor(token(TokenStatus.LOCKED), null, ja).single().text)
        // 2026-12-01 09:00 JST: "moved to a new phone on <date>".
        val moved = token(TokenStatus.REPLACED).copy(replacedAtMs = 1_796_083_200_000)
        val text = bannersFor(moved, null, en).single().text
        assertTrue(text.startsWith("This token moved to a new phone on ") && "2026" in text, text)
        assertEquals(
            listOf(BannerKind.CLOCK_SKEWED),
            bannersFor(token(TokenStatus.ACTIVE, clockSkewed = true), null, ja).map { it.kind },
        )
        // A seed gone from the store (restored phone) while the list still says active.
        val restored = bannersFor(token(TokenStatus.ACTIVE), bannerKindOf(SoftTokenException.SeedMissing("x")), en)
        assertEquals(BannerAction.SET_UP_AGAIN, restored.single().action)
    }

    @Test
    fun `the phone change guide has both paths, the old phone at hand first`() {
        val paths = PhoneChangeGuide.paths(ja)
        assertEquals(listOf(4, 3), paths.map { it.steps.size })
        assertTrue("認証確認" in paths[0].steps[2])
        assertTrue("失効" in paths[1].steps[0])
    }

    @Test
    fun `the Kotlin texts are the wording catalogue, key for key`() {
        val catalogue = File("../../docs/screens/wording.md").readLines()
            .mapNotNull { Regex("""^\| ([a-z_.0-9]+) \| (.*) \| (.*) \|$""").find(it)?.groupValues }
            .filter { it[1] != "key" }
        assertTrue(catalogue.size > 100)
        assertEquals(catalogue.associate { it[1] to it[2] }, JAPANESE)
        assertEquals(catalogue.associate { it[1] to it[3] }, ENGLISH)
        assertEquals(Strings.JA, Strings.forLocale(java.util.Locale.JAPAN))
        assertEquals(Strings.EN, Strings.forLocale(java.util.Locale.US))
    }

    @Test
    fun `a reader on another thread always finds a screen while the stack starts over`() {
        // The setup's callback starts the stack over on the client's scope, while the UI (or a
        // test) reads the screen on its own thread: it must never see the stack empty between.
        TestPhone().use { phone ->
            val app = phone.app
            // The writer starts the stack over until the reader is done. The reader begins once
            // the writer has, and goes on until it has read 200,000 times and the writer has
            // started over 1,000 times meanwhile (however the two threads are scheduled).
            val writes = AtomicLong()
            val done = AtomicBoolean(false)
            val writer = Thread {
                while (!done.get()) {
                    app.startOver(if (writes.get() % 2 == 0L) Screen.Tokens else Screen.PhoneChange)
                    writes.incrementAndGet()
                }
            }
            writer.start()
            while (writes.get() == 0L) Thread.onSpinWait()
            val before = writes.get()
            var reads = 0
            while ((reads < 200_000 || writes.get() - before < 1_000) && writer.isAlive) {
                assertTrue(app.screen.let { it == Screen.Tokens || it == Screen.PhoneChange })
                reads++
            }
            val during = writes.get() - before
            done.set(true)
            writer.join()
            assertTrue(during >= 1_000, "started over $during times while the reader read")
            // The last start-over (number writes - 1) is what stays.
            assertEquals(if ((writes.get() - 1) % 2 == 0L) Screen.Tokens else Screen.PhoneChange, app.screen)
            assertFalse(app.canGoBack)
        }
    }

    private fun code(remainingMs: Long) = OtpCode("12345678", 30, 1_795_000_000, remainingMs)

    private fun token(status: TokenStatus, clockSkewed: Boolean = false) = TokenInfo(
        "10121234-12345678901234DC", "10121234", "12345678901234DC", null, Algorithm.SHA1,
        8, 30, status, 0, 0, clockSkewed, null,
    )
}
