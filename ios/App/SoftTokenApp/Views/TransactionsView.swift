// Apple-only: SwiftUI, never compiled on Linux (CI). `TransactionsModel` decides.
import SoftTokenUI
import SwiftUI

/// 取引認証: pending transfers (payee, amount), 承認/拒否, the transaction code, and the
/// offline challenge entry.
struct TransactionsView: View {
    @Environment(\.strings) private var strings
    let model: TransactionsModel
    @State private var account = ""
    @State private var amount = ""

    var body: some View {
        Observing(state: model.state) { state in
            List {
                Section {
                    if let empty = state.emptyMessage { Text(strings.text(empty)) }
                    ForEach(state.pending, id: \.id) { transfer in
                        VStack(alignment: .leading, spacing: 8) {
                            LabeledText(title: strings.text(.txPayee), value: "\(transfer.payeeName)\n\(transfer.accountLine)")
                            LabeledText(title: strings.text(.txAmount), value: transfer.amountYenSign)
                            HStack {
                                WideButton(title: strings.text(.txApprove)) {
                                    Task { await model.approve(transfer.id) }
                                }
                                WideButton(title: strings.text(.txReject), role: .destructive) {
                                    Task { await model.reject(transfer.id) }
                                }
                            }
                            if let code = state.groupedCode(transfer.id) {
                                Text(code).font(.system(.title, design: .monospaced))
                                    .lineLimit(1).minimumScaleFactor(0.3)
                            } else {
                                Button(strings.text(.txCode)) { model.showCode(transfer.id) }
                                    .frame(minHeight: 44)
                            }
                        }
                    }
                    if let outcome = state.outcome { Text(strings.text(outcome)) }
                    if let notice = state.notice { NoticeView(notice: notice) }
                }
                .disabled(state.isBusy)
                Section(header: Text(strings.text(.txOfflineTitle))) {
                    TextField(strings.text(.txOfflineAccount), text: $account)
                        .keyboardType(.numberPad)
                        .onChange(of: account) { model.setOfflineAccount($0) }
                    TextField(strings.text(.txAmount), text: $amount)
                        .keyboardType(.numberPad)
                        .onChange(of: amount) { model.setOfflineAmount($0) }
                    WideButton(title: strings.text(.setupSubmit), action: model.makeOfflineCode)
                        .disabled(!state.offline.canMakeCode)
                    if let code = state.offline.grouped {
                        Text(code).font(.system(.title, design: .monospaced))
                            .lineLimit(1).minimumScaleFactor(0.3)
                    }
                    if let error = state.offline.error { NoticeView(notice: error) }
                }
            }
            .navigationTitle(strings.text(.txTitle))
            .task { await model.load() }
        }
    }
}

/// A caption over a value.
struct LabeledText: View {
    let title: String
    let value: String

    var body: some View {
        VStack(alignment: .leading) {
            Text(title).font(.caption)
            Text(value)
        }
        .accessibilityElement(children: .combine)
    }
}
