package dev.softtoken.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.border
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp

/** The smallest touch target, 48 dp (WCAG 2.2 target size, Android's guideline). */
public val MIN_TOUCH: androidx.compose.ui.unit.Dp = 48.dp

/** A screen: its title as a heading, then [content] scrolling. */
@Composable
internal fun ScreenFrame(
    title: String,
    onBack: (() -> Unit)?,
    backLabel: String,
    content: @Composable ColumnScope.() -> Unit,
) {
    Surface(Modifier.fillMaxSize(), color = MaterialTheme.colorScheme.background) {
        Column(
            Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(20.dp),
            verticalArrangement = Arrangement.spacedBy(14.dp),
        ) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                if (onBack != null) {
                    TextButton(onClick = onBack, modifier = Modifier.touchTarget().padding(end = 8.dp).tag(Tags.BACK)) {
                        Text("‹ $backLabel")
                    }
                }
                Text(
                    title,
                    style = MaterialTheme.typography.headlineSmall,
                    fontWeight = FontWeight.Bold,
                    modifier = Modifier.semantics { heading() },
                )
            }
            content()
        }
    }
}

/** At least [MIN_TOUCH] high and wide. */
internal fun Modifier.touchTarget(): Modifier = heightIn(min = MIN_TOUCH).widthIn(min = MIN_TOUCH)

/** The filled main action of a screen. */
@Composable
internal fun MainButton(text: String, tag: String, enabled: Boolean = true, onClick: () -> Unit) {
    Button(onClick, enabled = enabled, modifier = Modifier.fillMaxWidth().touchTarget().tag(tag)) { Text(text) }
}

/** A secondary action. */
@Composable
internal fun SideButton(text: String, tag: String, modifier: Modifier = Modifier, onClick: () -> Unit) {
    OutlinedButton(onClick, modifier = modifier.touchTarget().tag(tag)) { Text(text) }
}

/**
 * A banner: an icon with its own word (お知らせ / 注意 / エラー) and the text, so its meaning
 * never rests on colour alone; with a button when there is a next step.
 */
@Composable
internal fun BannerView(
    severity: Severity,
    text: String,
    strings: Strings,
    tag: String,
    action: (@Composable () -> Unit)? = null,
) {
    val (mark, word, color) = when (severity) {
        Severity.INFO -> Triple("i", strings["common.info"], MaterialTheme.colorScheme.primary)
        Severity.WARNING -> Triple("!", strings["common.warning"], Color(0xFFB26A00))
        Severity.ERROR -> Triple("×", strings["common.error"], MaterialTheme.colorScheme.error)
    }
    Column(
        Modifier.fillMaxWidth().border(2.dp, color, RoundedCornerShape(12.dp)).padding(12.dp).tag(tag),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Box(
                Modifier.size(28.dp).background(color, CircleShape).clearAndSetSemantics { },
                contentAlignment = Alignment.Center,
            ) { Text(mark, color = MaterialTheme.colorScheme.surface, fontWeight = FontWeight.Bold) }
            Text(word, fontWeight = FontWeight.Bold, modifier = Modifier.padding(start = 8.dp))
        }
        Text(text, style = MaterialTheme.typography.bodyMedium)
        action?.invoke()
    }
}
