// Apple-only: SwiftUI, never compiled on Linux (CI). `TokensModel` decides.
import SoftToken
import SoftTokenUI
import SwiftUI

/// The token list: label, rename, remove after a confirmation that warns it cannot be undone.
struct TokensView: View {
    @Environment(\.strings) private var strings
    let model: TokensModel
    let open: (Screen) -> Void
    @State private var renaming: TokenInfo?
    @State private var newLabel = ""

    var body: some View {
        Observing(state: model.state) { state in
            List {
                ForEach(state.tokens, id: \.id) { token in
                    Button { open(.code(tokenId: token.id)) } label: {
                        VStack(alignment: .leading) {
                            Text(token.label ?? token.userId)
                            Text("\(token.serviceId) \(token.userId)").font(.caption)
                            Text(strings.text(TokensState.statusLabel(token.status))).font(.caption)
                        }
                        .frame(minHeight: 44)
                    }
                    .swipeActions {
                        Button(strings.text(.tokensRemove), role: .destructive) {
                            model.askRemove(tokenId: token.id)
                        }
                        Button(strings.text(.tokensRename)) {
                            newLabel = token.label ?? ""
                            renaming = token
                        }
                    }
                }
                if let full = state.fullMessage {
                    Text(strings.text(full))
                } else {
                    Button(strings.text(.tokensAdd)) { open(.setup) }.frame(minHeight: 44)
                }
                if let notice = state.notice { NoticeView(notice: notice) }
            }
            .navigationTitle(strings.text(.tokensTitle))
            .onAppear(perform: model.reload)
            .alert(
                strings.text(.tokensRemoveTitle),
                isPresented: .constant(state.removal != nil),
                presenting: state.removal
            ) { _ in
                Button(strings.text(.tokensRemove), role: .destructive, action: model.confirmRemove)
                Button(strings.text(.tokensCancel), role: .cancel, action: model.cancelRemove)
            } message: { removal in
                Text(strings.text(removal.warning))
            }
            .alert(strings.text(.tokensRename), isPresented: .constant(renaming != nil)) {
                TextField(strings.text(.tokensLabel), text: $newLabel)
                Button(strings.text(.tokensRename)) {
                    if let token = renaming { model.rename(tokenId: token.id, label: newLabel) }
                    renaming = nil
                }
                Button(strings.text(.tokensCancel), role: .cancel) { renaming = nil }
            }
        }
    }
}
