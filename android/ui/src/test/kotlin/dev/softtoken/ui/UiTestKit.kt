package dev.softtoken.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.platform.ClipboardManager
import androidx.compose.ui.platform.LocalClipboardManager
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.unit.Density
import dev.softtoken.Fixtures
import dev.softtoken.MemorySecretStore
import dev.softtoken.SoftTokenClient
import dev.softtoken.TestProvider
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel

/**
 * A phone for one UI test: a client of the real provider with its own data directory and
 * Kotlin store, and an [AppState] on a scope of its own.
 */
class TestPhone(
    strings: Strings = Strings.JA,
    providerUrl: String = TestProvider.url,
) : AutoCloseable {
    val dataDir: File = Files.createTempDirectory("softtoken-ui").toFile()
    val store = MemorySecretStore()
    val client: SoftTokenClient = TestProvider.client(dataDir, store, providerUrl = providerUrl)
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val app = AppState(client, strings, scope)
    val clipboard = RecordingClipboard()

    /** The app as a phone shows it, with the recording clipboard and an optional font scale. */
    @Composable
    fun Content(fontScale: Float? = null) {
        val density = LocalDensity.current
        CompositionLocalProvider(
            LocalClipboardManager provides clipboard,
            LocalDensity provides Density(density.density, fontScale ?: density.fontScale),
        ) {
            SoftTokenApp(app, darkTheme = false)
        }
    }

    override fun close() {
        app.close()
        scope.cancel()
        client.close()
        dataDir.deleteRecursively()
    }

    companion object {
        /** A token issued at the bank: its User ID (to a customer of its own unless [customerRef] is given). */
        fun issue(customerRef: String = java.util.UUID.randomUUID().toString()): String =
            TestProvider.bank.issue(Fixtures.EMAIL, Fixtures.ACTIVATION_PASSWORD, customerRef)
    }
}

/**
 * The clipboard as the copy button sees it. A stand-in, named as such: a headless JVM has no
 * system clipboard (AWT throws `HeadlessException`), and what is checked is what the button
 * puts there.
 */
@Suppress("DEPRECATION")
class RecordingClipboard : ClipboardManager {
    /** What the app put there last. */
    var copied: AnnotatedString? = null

    override fun setText(annotatedString: AnnotatedString) {
        copied = annotatedString
    }

    override fun getText(): AnnotatedString? = copied
}
