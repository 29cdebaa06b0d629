package dev.softtoken.ui

import dev.softtoken.Clock
import dev.softtoken.Fixtures
import dev.softtoken.TestProvider
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Test

/**
 * The code screen's state holder on an injected clock (the same one the core reads, given to
 * the client as its `Clock`): a whole period passes without sleeping.
 */
class CodeStateClockTest {
    @Test
    fun `the code changes exactly at the boundary, announced only at 20 s, 10 s and the new code`() = runBlocking<Unit> {
        var now = System.currentTimeMillis()
        val dir = Files.createTempDirectory("softtoken-ui-clock").toFile()
        val userId = TestPhone.issue()
        TestProvider.client(dir, clock = Clock { now }).use { client ->
            val token = client.activate(TestProvider.serviceId, userId, Fixtures.ACTIVATION_PASSWORD)
            val state = CodeState(client, Strings.EN, token, clock = { now })
            state.tick()
            assertEquals("", state.announcement, "the first look announces nothing")
            // To the next boundary: a new code, announced.
            now += state.countdown!!.remainingMs(now)
            val first = state.copyText
            state.tick()
            assertNotEquals(first, state.copyText)
            assertEquals(Announcement.NEW_CODE, state.lastAnnouncement)
            assertEquals("New one-time password ${CodeText.spokenDigits(state.copyText!!)}", state.announcement)
            assertTrue(state.fraction > 0.99f, "a new code starts full: ${state.fraction}")

            // One period, ticked as the driver does; collect what is announced and when.
            val code = state.copyText
            val heard = mutableListOf<Pair<Int, String>>()
            var last = state.announcement
            while (true) {
                val before = state.countdown!!.remainingMs(now)
                now += state.msToNextTick()
                state.tick()
                if (state.announcement != last) {
                    heard += state.remainingSeconds to state.announcement
                    last = state.announcement
                }
                if (state.copyText != code) {
                    assertTrue(before in 1..1_000, "the code changed when its period ended ($before ms left)")
                    break
                }
                assertEquals(code, state.copyText, "the code holds until the boundary")
            }
            assertEquals(
                listOf(20 to "20 seconds left", 10 to "10 seconds left"),
                heard.dropLast(1),
            )
            assertTrue(heard.last().second.startsWith("New one-time password"), "$heard")
            client.remove(token.id)
        }
        dir.deleteRecursively()
    }
}
