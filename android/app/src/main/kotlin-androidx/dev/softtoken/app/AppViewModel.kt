package dev.softtoken.app

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.softtoken.ui.AppState
import dev.softtoken.ui.Strings
import java.util.Locale

/**
 * Holds the root state holder ([AppState], android/ui) across configuration changes (rotation,
 * font scale, dark mode), so what the user typed and a running activation survive them. Its
 * coroutines run in [viewModelScope], cancelled when the Activity finishes for good.
 */
class AppViewModel(application: Application) : AndroidViewModel(application) {
    /** The root state the screens draw. */
    val app: AppState = AppState(
        client = (application as SoftTokenApplication).client,
        strings = Strings.forLocale(Locale.getDefault()),
        scope = viewModelScope,
    )
}
