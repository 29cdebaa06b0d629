package dev.softtoken.ui

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

/** The app's Material 3 theme, light or dark. */
@Composable
public fun SoftTokenTheme(dark: Boolean, content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = if (dark) DARK else LIGHT, content = content)
}

private val LIGHT = lightColorScheme(
    primary = Color(0xFF005BAC),
    secondary = Color(0xFF4A6078),
    error = Color(0xFFB3261E),
)

private val DARK = darkColorScheme(
    primary = Color(0xFF9CCAFF),
    secondary = Color(0xFFB2C8E4),
    error = Color(0xFFF2B8B5),
)
