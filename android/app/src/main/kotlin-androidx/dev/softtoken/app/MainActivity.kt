package dev.softtoken.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.viewModels
import dev.softtoken.ui.SoftTokenApp

/**
 * The app's one Activity: a secure window showing the shared Compose screens (android/ui) of
 * the [AppViewModel]'s state. Compose and AndroidX parts: not compiled on the CI machine (see
 * README.md); the framework-only glue it calls is.
 */
class MainActivity : ComponentActivity() {
    private val model: AppViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        // Before any content exists: no frame with a code is ever drawn unprotected.
        secureWindow()
        // Target SDK 35+ draws edge to edge anyway; the screens pad for the system bars.
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        setContent { SoftTokenApp(model.app) }
    }
}
