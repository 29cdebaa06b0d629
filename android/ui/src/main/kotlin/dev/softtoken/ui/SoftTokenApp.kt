package dev.softtoken.ui

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.foundation.layout.Box
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier

/**
 * The app (contract C3): the screen [app] is on, in the app's theme. The Activity and the desktop
 * window call this; [darkTheme] follows the system unless a caller (the picture renderer) says.
 */
@Composable
public fun SoftTokenApp(app: AppState, modifier: Modifier = Modifier, darkTheme: Boolean = isSystemInDarkTheme()) {
    SoftTokenTheme(darkTheme) {
        Box(modifier) {
            when (val screen = app.screen) {
                Screen.Setup -> SetupScreen(app.setup, app.strings, onBack = if (app.canGoBack) ({ app.back() }) else null)
                is Screen.SetupDone -> SetupDoneScreen(app)
                is Screen.Code -> app.code?.let { CodeScreen(it, app) }
                Screen.Tokens -> TokensScreen(app)
                is Screen.Transactions -> app.transactions?.let { TransactionsScreen(it, app) }
                Screen.PhoneChange -> PhoneChangeScreen(app)
            }
        }
    }
}
