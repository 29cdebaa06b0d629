package dev.softtoken.ui.desktop

import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import androidx.compose.ui.use
import org.jetbrains.skia.EncodedImageFormat
import org.jetbrains.skia.FontMgr
import org.jetbrains.skia.FontStyle

/**
 * Draws composables offscreen to PNG (Compose desktop's image scene on Skia; no window, no
 * display): the pictures in `docs/screens/`.
 */
public object ScreenRenderer {
    /** A phone's screen: 390 × 844 dp. */
    public const val WIDTH_DP: Int = 390
    public const val HEIGHT_DP: Int = 844

    /** Renders [content] at [density] pixels per dp into PNG bytes. */
    public fun png(density: Float = 2f, content: @Composable () -> Unit): ByteArray =
        ImageComposeScene(
            width = (WIDTH_DP * density).toInt(),
            height = (HEIGHT_DP * density).toInt(),
            density = Density(density),
            content = content,
        ).use { scene ->
            // Frames up to a second in let effects started by the first one (layout, text)
            // settle and enter animations finish: a dialog drawn at 16 ms is still half
            // transparent, with the screen behind showing through.
            scene.render(0)
            var nanos = 0L
            while (nanos < SETTLE_NANOS) {
                nanos += FRAME_NANOS
                scene.render(nanos)
            }
            val image = scene.render(SETTLE_NANOS + FRAME_NANOS)
            val data = image.encodeToData(EncodedImageFormat.PNG)
                ?: throw IllegalStateException("Skia could not encode the screen as PNG")
            data.bytes
        }

    /**
     * The family Skia draws Japanese with (e.g. `Noto Sans CJK JP`), or `null` when no installed
     * font has kana: then the pictures would show boxes (install `fonts-noto-cjk`).
     */
    public fun japaneseFontFamily(): String? =
        FontMgr.default.matchFamilyStyleCharacter(null, FontStyle.NORMAL, arrayOf("ja"), 'あ'.code)
            ?.familyName

    private const val FRAME_NANOS = 16_000_000L
    private const val SETTLE_NANOS = 1_000_000_000L
}
