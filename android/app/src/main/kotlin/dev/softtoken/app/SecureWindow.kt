package dev.softtoken.app

import android.app.Activity
import android.view.WindowManager

/**
 * Marks the activity's window secure (`FLAG_SECURE`): no screenshots, no screen recording, no
 * casting to non-secure displays, and a blank thumbnail in the recent-apps switcher. Set for the
 * whole window because any screen may show a one-time password. Call it before the content is
 * set, so no frame is ever drawn unprotected.
 */
internal fun Activity.secureWindow() {
    window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
}

/** Whether [secureWindow] is in force on this activity's window. */
internal val Activity.isWindowSecure: Boolean
    get() = window.attributes.flags and WindowManager.LayoutParams.FLAG_SECURE != 0
