// Apple-only: SwiftUI, never compiled on Linux (CI). `AppModel` decides the screen.
import SoftTokenUI
import SwiftUI

/// The screen `AppModel` says, each over its own model.
struct RootView: View {
    let app: AppModel

    var body: some View {
        Observing(state: app.screen) { screen in
            NavigationView {
                switch screen {
                case .setup:
                    Hosting(make: app.makeSetupModel) { SetupView(model: $0) }
                case let .setupDone(token):
                    SetupDoneView(token: token, next: app.next)
                case let .code(tokenId):
                    Hosting(make: { app.makeCodeModel(tokenId: tokenId) }) { model in
                        CodeView(model: model, open: app.open)
                    }
                    .id(tokenId)
                case .tokens:
                    Hosting(make: app.makeTokensModel) { TokensView(model: $0, open: app.open) }
                case let .transactions(tokenId):
                    Hosting(make: { app.makeTransactionsModel(tokenId: tokenId) }) {
                        TransactionsView(model: $0)
                    }
                case .phoneChange:
                    PhoneChangeView()
                }
            }
            .navigationViewStyle(.stack)
        }
    }
}
