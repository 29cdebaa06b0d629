// Apple-only: SwiftUI, never compiled on Linux (CI). The decisions are in `SoftTokenUI`.
import SoftToken
import SoftTokenUI
import SwiftUI
import UIKit

/// The app: opens the core with the Keychain store and shows the screen `AppModel` says. While
/// the app is not in front (`scenePhase` `.inactive`/`.background`, i.e. the app-switcher
/// snapshot) a cover hides every code.
@main
struct SoftTokenApp: App {
    @Environment(\.scenePhase) private var scenePhase
    private let app: AppModel?
    private let strings = Strings(.preferred())

    init() {
        app = try? AppModel(client: SoftTokenClient(Self.config()))
    }

    var body: some Scene {
        WindowGroup {
            ZStack {
                if let app {
                    RootView(app: app)
                } else {
                    Text(strings.text(.errorOther))
                }
                if scenePhase != .active { PrivacyCover() }
            }
            .environment(\.strings, strings)
        }
    }

    /// The core's configuration: this build's provider and CA, metadata in Application Support,
    /// seeds in the Keychain this device only (`KeychainSecretStore`, in the package's
    /// `Sources/SoftToken/KeychainSecretStore.swift`: `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`,
    /// never synchronised, so a restored backup has no seeds and says "set up again").
    private static func config() throws -> SoftTokenConfig {
        let bundle = Bundle.main
        let url = URL(string: bundle.object(forInfoDictionaryKey: "SoftTokenProviderURL") as? String ?? "")
        let caPath = bundle.path(forResource: "provider-ca", ofType: "pem") ?? ""
        let support = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        return SoftTokenConfig(
            providerUrl: url ?? URL(fileURLWithPath: "/"),
            providerCaPem: (try? String(contentsOfFile: caPath, encoding: .utf8)) ?? "",
            dataDir: support,
            device: DeviceInfo(
                platform: "ios", model: UIDevice.current.model,
                appVersion: bundle.object(forInfoDictionaryKey: "CFBundleShortVersionString") as? String ?? "0"),
            secretStore: KeychainSecretStore())
    }
}

/// What the app-switcher snapshot shows instead of the screen: no code.
struct PrivacyCover: View {
    var body: some View {
        Color(uiColor: .systemBackground)
            .ignoresSafeArea()
            .overlay(Image(systemName: "lock.shield").font(.largeTitle).accessibilityHidden(true))
    }
}
