package dev.softtoken

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

/**
 * The test provider's clock as this suite sees it, through the test kit's clock control
 * (`SOFTTOKEN_TEST_CONTROL_URL`, plain HTTP on 127.0.0.1; `tests/src/control.rs`): [advance]
 * moves the provider's time without sleeping, and as a [Clock] it reads the provider's time (the
 * system time plus the offset the control last reported), so a phone given it ages with the
 * provider as a real phone would.
 *
 * One provider serves the whole suite: a test that moves its clock does so inside [advancedBy],
 * which puts it back whatever happens, and runs `@Isolated` so no other test sees the jump.
 */
object ProviderClock : Clock {
    @Volatile
    private var offsetMs: Long = 0

    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    override fun nowMs(): Long = System.currentTimeMillis() + offsetMs

    /** Runs [block] with the provider's clock [seconds] ahead, then puts it back. */
    inline fun <T> advancedBy(seconds: Long, block: () -> T): T {
        advance(seconds)
        try {
            return block()
        } finally {
            reset()
        }
    }

    /** Moves the provider's clock forward by [seconds]. */
    fun advance(seconds: Long) {
        offsetMs = post("/clock/advance?seconds=$seconds")
    }

    /** Moves the provider's clock back to the system time. */
    fun reset() {
        offsetMs = post("/clock/reset")
    }

    /** POSTs to the control; the provider's offset from the system time after it, ms. */
    private fun post(path: String): Long {
        val request = HttpRequest.newBuilder(URI.create(TestProvider.controlUrl + path))
            .POST(HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "POST $path: ${response.statusCode()} ${response.body()}" }
        return Regex("\"offset_ms\"\\s*:\\s*(-?[0-9]+)").find(response.body())?.groupValues?.get(1)?.toLong()
            ?: error("no offset_ms in ${response.body()}")
    }
}
