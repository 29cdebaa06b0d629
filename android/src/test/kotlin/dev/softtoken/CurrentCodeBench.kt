package dev.softtoken

import dev.softtoken.Fixtures.ACTIVATION_PASSWORD
import dev.softtoken.Fixtures.EMAIL
import java.lang.management.ManagementFactory
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

/**
 * `currentCode` per call from Kotlin through JNA: a warmed loop, several rounds, the median.
 * A benchmark, not a test: it asserts nothing about time. Runs only with `mvn -Pbench test`
 * (`cargo xtask bench-ffi`).
 */
@Tag("bench")
class CurrentCodeBench {
    @Test
    fun `currentCode per call`() {
        measure("Kotlin in-memory SecretStore (JNA callback per call)", MemorySecretStore())
        measure("platform keystore (kernel keyring)", null)
    }

    private fun measure(what: String, store: SecretStore?) {
        val dataDir = Files.createTempDirectory("softtoken-bench").toFile()
        try {
            TestProvider.client(dataDir, secretStore = store).use { client ->
                val userId = TestProvider.bank.issue(EMAIL, ACTIVATION_PASSWORD)
                val token = try {
                    runBlocking { client.activate(TestProvider.serviceId, userId, ACTIVATION_PASSWORD) }
                } catch (e: SoftTokenException.KeystoreUnavailable) {
                    println("BENCH currentCode, $what: skipped (${e.detail})")
                    return
                }
                report("currentCode, $what", rounds { client.currentCode(token.id).code.length })
                client.remove(token.id)
            }
        } finally {
            dataDir.deleteRecursively()
        }
    }

    /**
     * The floor: one FFI call that returns a short string and does no work. What it costs is
     * JNA's per-call overhead (a call-status `Structure`, a `RustBuffer` by value, and a second
     * call to free it), which every `currentCode` pays too.
     */
    @Test
    fun `FFI round trip`() {
        report("libraryVersion() (FFI floor)", rounds { SoftTokenLibrary.version.length })
    }

    /** Wall-clock and this thread's CPU time of one round, ns per call. */
    private class Round(val wallNs: Double, val cpuNs: Double)

    private fun report(what: String, rounds: List<Round>) {
        fun median(values: List<Double>) = values.sorted()[values.size / 2]
        println(
            "BENCH $what: median %.0f ns/call wall, %.0f ns/call CPU (rounds of %d calls, wall: %s)"
                .format(
                    median(rounds.map { it.wallNs }), median(rounds.map { it.cpuNs }), CALLS,
                    rounds.joinToString(", ") { "%.0f".format(it.wallNs) },
                ),
        )
    }

    // The calls run on this thread (secret store callbacks included), so its CPU time is the
    // cost of a call even when other processes compete for the cores; wall time is what an app
    // sees.
    private inline fun rounds(call: () -> Int): List<Round> {
        val threads = ManagementFactory.getThreadMXBean()
        var sink = 0
        repeat(WARMUP) { sink += call() }
        val rounds = List(ROUNDS) {
            val cpu = threads.currentThreadCpuTime
            val start = System.nanoTime()
            repeat(CALLS) { sink += call() }
            Round(
                wallNs = (System.nanoTime() - start).toDouble() / CALLS,
                cpuNs = (threads.currentThreadCpuTime - cpu).toDouble() / CALLS,
            )
        }
        check(sink > 0)
        return rounds
    }

    private companion object {
        val CALLS = Integer.getInteger("softtoken.bench.calls", 100_000)
        val WARMUP = CALLS / 5
        val ROUNDS = Integer.getInteger("softtoken.bench.rounds", 3)
    }
}

