package dev.softtoken.ui.desktop

import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import androidx.compose.ui.unit.DpSize
import dev.softtoken.DeviceInfo
import dev.softtoken.SoftTokenClient
import dev.softtoken.softTokenConfig
import dev.softtoken.ui.AppState
import dev.softtoken.ui.SoftTokenApp
import dev.softtoken.ui.Strings
import java.awt.GraphicsEnvironment
import java.io.File
import java.util.Locale
import kotlin.system.exitProcess

/**
 * `cargo xtask phone`: the screens in a phone-sized window against a provider on this machine,
 * to click through the setup by hand. Reads the provider from `SOFTTOKEN_TEST_PROVIDER_URL` and
 * `SOFTTOKEN_TEST_CA_PEM` (as `cargo xtask phone` sets them), keeps its tokens in
 * `SOFTTOKEN_PHONE_DATA_DIR` (default `target/phone`) and its seeds in the platform keystore
 * (the kernel keyring on Linux). `SOFTTOKEN_PHONE_LANG=en` for English.
 */
public fun main() {
    if (GraphicsEnvironment.isHeadless()) {
        System.err.println("softtoken phone: no display (DISPLAY is not set): the window cannot open here")
        exitProcess(2)
    }
    val url = requireEnv("SOFTTOKEN_TEST_PROVIDER_URL")
    val caPem = File(requireEnv("SOFTTOKEN_TEST_CA_PEM")).readText()
    val dataDir = File(System.getenv("SOFTTOKEN_PHONE_DATA_DIR") ?: "target/phone").apply { mkdirs() }
    val strings = when (System.getenv("SOFTTOKEN_PHONE_LANG")) {
        null -> Strings.forLocale(Locale.getDefault())
        "en" -> Strings.EN
        else -> Strings.JA
    }
    val client = SoftTokenClient(
        softTokenConfig(url, caPem, dataDir) {
            device = DeviceInfo(platform = "desktop", model = "SoftToken phone window", appVersion = "dev")
        },
    )
    application {
        val scope = rememberCoroutineScope()
        val app = remember { AppState(client, strings, scope) }
        Window(
            onCloseRequest = {
                app.close()
                client.close()
                exitApplication()
            },
            title = "SoftToken",
            state = rememberWindowState(size = DpSize(390.dp, 844.dp)),
        ) {
            SoftTokenApp(app)
        }
    }
}

private fun requireEnv(name: String): String = System.getenv(name) ?: run {
    System.err.println("softtoken phone: $name is not set (run it with `cargo xtask phone`)")
    exitProcess(2)
}
