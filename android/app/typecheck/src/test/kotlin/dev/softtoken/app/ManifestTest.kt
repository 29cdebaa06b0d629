package dev.softtoken.app

import io.crates.keyring.Keyring
import java.lang.reflect.Modifier
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

private const val ANDROID = "http://schemas.android.com/apk/res/android"

/** The manifest wires up the glue and the backup rules; every XML file of the module parses. */
class ManifestTest {
    private val application = AppModuleFiles.parse(AppModuleFiles.manifest).documentElement
        .children("application").single()

    @Test
    fun `backups are allowed deliberately, under the rules for each Android version`() {
        assertEquals("true", application.getAttributeNS(ANDROID, "allowBackup"))
        assertEquals("@xml/data_extraction_rules", application.getAttributeNS(ANDROID, "dataExtractionRules"))
        assertEquals("@xml/backup_rules", application.getAttributeNS(ANDROID, "fullBackupContent"))
        assertEquals("false", application.getAttributeNS(ANDROID, "usesCleartextTraffic"))
    }

    @Test
    fun `the manifest names the glue classes that exist`() {
        assertEquals(".SoftTokenApplication", application.getAttributeNS(ANDROID, "name"))
        assertEquals(SoftTokenApplication::class.java.name, "dev.softtoken.app.SoftTokenApplication")
        val activities = application.children("activity").map { it.getAttributeNS(ANDROID, "name") }
        assertEquals(listOf(".MainActivity"), activities)
        assertTrue(
            AppModuleFiles.appDir.resolve("src/main/kotlin-androidx/dev/softtoken/app/MainActivity.kt").isFile,
        )
    }

    @Test
    fun `the NDK context entry point has the name the keyring crate exports`() {
        // android-native-keyring-store 1.0.0, src/lib.rs: the JNI symbol it defines.
        val exported = "Java_io_crates_keyring_Keyring_00024Companion_initializeNdkContext"
        val companion = Keyring.Companion::class.java
        val method = companion.getDeclaredMethod("initializeNdkContext", android.content.Context::class.java)
        assertTrue(Modifier.isNative(method.modifiers), "initializeNdkContext must be `external`")
        val jniName = "Java_" + companion.name.replace("_", "_1").replace(".", "_").replace("$", "_00024") +
            "_" + method.name
        assertEquals(exported, jniName)
    }

    @Test
    fun `every XML file of the module is well-formed`() {
        val files = AppModuleFiles.res.walk().filter { it.extension == "xml" }.toList() +
            AppModuleFiles.manifest
        assertTrue(files.size >= 5, "found only $files")
        files.forEach { AppModuleFiles.parse(it) }
    }
}
