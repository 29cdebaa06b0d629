package dev.softtoken.app

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.w3c.dom.Element

/**
 * The backup rules keep the seed store out of every copy that leaves the phone (cloud backup
 * and device-to-device transfer on Android 12+, Auto Backup on Android 11 and older) and keep
 * only the token metadata, so a restored phone says "set up again".
 */
class BackupRulesTest {
    private val seedStore = "sharedpref:${AppModuleFiles.seedStoreFile}"
    private val metadata = "file:${AppModuleFiles.metadataFile}"

    @Test
    fun `the seed store file is the one the core's store writes`() {
        assertEquals("keyring-dev.softtoken.seeds.xml", AppModuleFiles.seedStoreFile)
        assertEquals("tokens.json", AppModuleFiles.metadataFile)
    }

    @Test
    fun `Android 12+ excludes the seed store from cloud backup and from device transfer`() {
        val root = AppModuleFiles.parse(AppModuleFiles.res.resolve("xml/data_extraction_rules.xml"))
            .documentElement
        assertEquals("data-extraction-rules", root.tagName)
        for (section in listOf("cloud-backup", "device-transfer")) {
            val rules = root.children(section).singleOrNull()
                ?: error("data_extraction_rules.xml needs exactly one <$section>")
            assertOnlyMetadataKept(rules, section)
        }
    }

    @Test
    fun `cloud backup happens only end-to-end encrypted`() {
        val root = AppModuleFiles.parse(AppModuleFiles.res.resolve("xml/data_extraction_rules.xml"))
            .documentElement
        assertEquals("true", root.children("cloud-backup").single().getAttribute("disableIfNoEncryptionCapabilities"))
    }

    @Test
    fun `Android 11 and older exclude the seed store from Auto Backup`() {
        val root = AppModuleFiles.parse(AppModuleFiles.res.resolve("xml/backup_rules.xml"))
            .documentElement
        assertEquals("full-backup-content", root.tagName)
        assertOnlyMetadataKept(root, "full-backup-content")
        assertEquals(
            "clientSideEncryption",
            root.children("include").single().getAttribute("requireFlags"),
        )
    }

    /**
     * [rules] includes the metadata file alone (an include list: nothing else leaves the phone)
     * and excludes the seed store by name.
     */
    private fun assertOnlyMetadataKept(rules: Element, where: String) {
        assertEquals(listOf(metadata), rules.children("include").map { it.rule }, "$where includes")
        assertTrue(
            seedStore in rules.children("exclude").map { it.rule },
            "$where must exclude $seedStore",
        )
    }
}
