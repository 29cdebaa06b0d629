package dev.softtoken.app

import android.app.Activity
import android.view.WindowManager
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config

/** The FLAG_SECURE helper on a real framework Activity (Robolectric, API 36). */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], manifest = Config.NONE)
class SecureWindowTest {
    @Test
    fun secureWindowSetsFlagSecureAndKeepsTheOtherFlags() {
        val activity = Robolectric.buildActivity(Activity::class.java).create().get()
        activity.window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        assertFalse(activity.isWindowSecure)

        activity.secureWindow()

        assertTrue(activity.isWindowSecure)
        val flags = activity.window.attributes.flags
        assertEquals(
            WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON,
            flags and WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON,
        )
    }
}
