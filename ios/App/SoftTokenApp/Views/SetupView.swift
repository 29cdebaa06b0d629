// Apple-only: SwiftUI, never compiled on Linux (CI). `SetupModel` decides every state shown.
import SoftToken
import SoftTokenUI
import SwiftUI

/// 初期設定: サービスID, ユーザID, 利用開始パスワード (hidden, with a show toggle), 送信.
struct SetupView: View {
    @Environment(\.strings) private var strings
    let model: SetupModel
    @State private var serviceId = ""
    @State private var userId = ""
    @State private var password = ""

    var body: some View {
        Observing(state: model.state) { state in
            Form {
                idField(.setupServiceId, text: $serviceId, field: state.serviceId, set: model.setServiceId)
                idField(.setupUserId, text: $userId, field: state.userId, set: model.setUserId)
                Section(header: Text(strings.text(.setupPassword))) {
                    HStack {
                        Group {
                            if state.passwordVisible {
                                TextField(strings.text(.setupPassword), text: $password)
                            } else {
                                SecureField(strings.text(.setupPassword), text: $password)
                            }
                        }
                        .textContentType(.password)
                        .onChange(of: password) { model.setPassword($0) }
                        Button(action: model.togglePasswordVisible) {
                            Image(systemName: state.passwordVisible ? "eye.slash" : "eye")
                                .frame(minWidth: 44, minHeight: 44)
                        }
                        .accessibilityLabel(strings.text(state.passwordVisible ? .hidePassword : .setupPasswordShow))
                    }
                }
                Section {
                    if state.isBusy {
                        ProgressView(strings.text(.setupBusy))
                    }
                    WideButton(title: strings.text(.setupSubmit)) { Task { await model.send() } }
                        .disabled(!state.canSend)
                    if let notice = state.notice {
                        NoticeView(notice: notice) { Task { await model.retry() } }
                    }
                }
            }
            .disabled(state.isBusy)
            .navigationTitle(strings.text(.setupTitle))
        }
    }

    /// An ID field with its error (flagged before sending) or its hint under it.
    private func idField(
        _ title: WordKey, text: Binding<String>, field: IdField, set: @escaping (String) -> Void
    ) -> some View {
        Section(header: Text(strings.text(title))) {
            TextField(strings.text(title), text: text)
                .keyboardType(title == .setupServiceId ? .numberPad : .asciiCapable)
                .textInputAutocapitalization(.characters)
                .disableAutocorrection(true)
                .onChange(of: text.wrappedValue) { set($0) }
            if let error = field.error {
                Label(strings.text(error), systemImage: "exclamationmark.circle")
                    .foregroundStyle(.red)
            } else if let hint = field.hint {
                Text(strings.text(hint)).foregroundStyle(.secondary)
            }
        }
    }
}

/// 初期設定完了 → 次へ.
struct SetupDoneView: View {
    @Environment(\.strings) private var strings
    let token: TokenInfo
    let next: () -> Void

    var body: some View {
        VStack(spacing: 24) {
            Image(systemName: "checkmark.seal").font(.largeTitle).accessibilityHidden(true)
            Text(strings.text(.doneBody)).multilineTextAlignment(.center)
            WideButton(title: strings.text(.doneNext), action: next)
        }
        .padding()
        .navigationTitle(strings.text(.doneTitle))
    }
}
