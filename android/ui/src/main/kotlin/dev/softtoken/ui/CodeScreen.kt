package dev.softtoken.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalClipboardManager
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.ProgressBarRangeInfo
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.progressBarRangeInfo
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.ExperimentalTextApi
import androidx.compose.ui.text.VerbatimTtsAnnotation
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.text.withAnnotation
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** ワンタイムパスワード: the banners, the code, its countdown, copy, and the ways on. */
@Composable
internal fun CodeScreen(state: CodeState, app: AppState) {
    val strings = app.strings
    ScreenFrame(strings["code.title"], null, strings["common.back"]) {
        Text(state.token.label ?: state.token.userId, style = MaterialTheme.typography.titleMedium)
        for (banner in state.banners) {
            BannerView(banner.severity, banner.text, strings, Tags.banner(banner.kind)) {
                if (banner.action == BannerAction.SET_UP_AGAIN) {
                    SideButton(strings["banner.setup_again"], Tags.SET_UP_AGAIN) { app.openSetup() }
                }
            }
        }
        val grouped = state.groupedCode
        if (grouped == null) {
            Text(strings["code.unavailable"], style = MaterialTheme.typography.titleMedium)
        } else {
            CodeDigits(grouped, state.copyText.orEmpty(), state.spokenLabel.orEmpty())
            Countdown(state)
            CopyButton(state.copyText.orEmpty(), strings)
        }
        // The live region: its text changes only at the announcement moments.
        Text(
            state.announcement,
            style = MaterialTheme.typography.bodySmall,
            modifier = Modifier.tag(Tags.ANNOUNCER).semantics { liveRegion = LiveRegionMode.Polite },
        )
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            SideButton(strings["code.refresh"], Tags.REFRESH) { app.refresh() }
            SideButton(strings["code.tokens"], Tags.OPEN_TOKENS) { app.openTokens() }
            SideButton(strings["code.transactions"], Tags.OPEN_TRANSACTIONS) { app.openTransactions() }
            SideButton(strings["code.phone_change"], Tags.OPEN_PHONE_CHANGE) { app.openPhoneChange() }
        }
    }
}

/**
 * The 8 digits, `1234 5678`, monospaced. Spoken digit by digit: a verbatim TTS annotation
 * (Android's `TtsSpan` verbatim) on the text and a content description of the single digits.
 * At a large font scale the two groups wrap onto two lines rather than being cut.
 */
@OptIn(ExperimentalTextApi::class)
@Composable
private fun CodeDigits(grouped: String, digits: String, spoken: String) {
    val text: AnnotatedString = buildAnnotatedString {
        withAnnotation(VerbatimTtsAnnotation(digits)) { append(grouped) }
    }
    Text(
        text,
        fontFamily = FontFamily.Monospace,
        fontWeight = FontWeight.Bold,
        fontSize = 44.sp,
        letterSpacing = 2.sp,
        textAlign = TextAlign.Center,
        softWrap = true,
        modifier = Modifier.fillMaxWidth().tag(Tags.CODE).semantics { contentDescription = spoken },
    )
}

/** The countdown bar: its own node, read as "残り N 秒", with the fraction as its range. */
@Composable
private fun Countdown(state: CodeState) {
    val fraction = state.fraction
    val label = state.remainingLabel
    LinearProgressIndicator(
        progress = { fraction },
        modifier = Modifier.fillMaxWidth().height(10.dp).tag(Tags.COUNTDOWN).clearAndSetSemantics {
            contentDescription = label
            progressBarRangeInfo = ProgressBarRangeInfo(fraction, 0f..1f)
        },
    )
    Text(label, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.clearAndSetSemantics { })
}

/** Copies the digits without the space, so pasting into the bank's page works (WCAG 2.2 SC 3.3.8). */
@Suppress("DEPRECATION") // LocalClipboard's ClipEntry differs between desktop and Android; this API is common.
@Composable
private fun CopyButton(digits: String, strings: Strings) {
    val clipboard = LocalClipboardManager.current
    MainButton(strings["code.copy"], Tags.COPY) { clipboard.setText(AnnotatedString(digits)) }
}
