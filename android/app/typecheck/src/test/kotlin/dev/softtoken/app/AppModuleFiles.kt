package dev.softtoken.app

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.w3c.dom.Document
import org.w3c.dom.Element

/** The app module's files and the workspace facts they must agree with, for the tests. */
internal object AppModuleFiles {
    /** `android/app/`, from Surefire's `softtoken.app.dir`. */
    val appDir: File = File(
        System.getProperty("softtoken.app.dir")
            ?: error("softtoken.app.dir is not set: run the tests through Maven (pom.xml)"),
    ).canonicalFile

    /** The workspace root (android/app/../..). */
    private val workspace: File = appDir.resolve("../..").canonicalFile

    val manifest: File = appDir.resolve("src/main/AndroidManifest.xml")
    val res: File = appDir.resolve("src/main/res")

    /**
     * The SharedPreferences file of the seed store: android-native-keyring-store names it
     * `keyring-<store name>` (its `StoreConfig::from_configuration`), and the core names the store
     * in core/src/keystore/platform.rs; Android adds `.xml`.
     */
    val seedStoreFile: String by lazy {
        val source = workspace.resolve("core/src/keystore/platform.rs").readText()
        val name = Regex("""\("name",\s*"([^"]+)"\)""").find(source)?.groupValues?.get(1)
            ?: error("no store name in core/src/keystore/platform.rs")
        "keyring-$name.xml"
    }

    /** The token metadata file the core writes in its data directory (core/src/metadata.rs). */
    val metadataFile: String by lazy {
        val source = workspace.resolve("core/src/metadata.rs").readText()
        Regex("""pub const FILE_NAME: &str = "([^"]+)";""").find(source)?.groupValues?.get(1)
            ?: error("no FILE_NAME in core/src/metadata.rs")
    }

    /** Parses [file] as XML (namespace-aware), failing on anything not well-formed. */
    fun parse(file: File): Document =
        DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
            .newDocumentBuilder()
            .parse(file)
}

/** The child elements of this element named [tag]. */
internal fun Element.children(tag: String): List<Element> =
    (0 until childNodes.length).map { childNodes.item(it) }
        .filterIsInstance<Element>()
        .filter { it.tagName == tag }

/** `domain:path` of a backup rule element. */
internal val Element.rule: String
    get() = "${getAttribute("domain")}:${getAttribute("path")}"
