// Apple-only: SwiftUI, never compiled on Linux (CI). `PhoneChangeGuide` holds the steps.
import SoftTokenUI
import SwiftUI

/// 機種変更: both ways to move to a new phone, as numbered steps.
struct PhoneChangeView: View {
    @Environment(\.strings) private var strings

    var body: some View {
        List {
            Text(strings.text(PhoneChangeGuide.intro))
            ForEach(PhoneChangeGuide.paths, id: \.title) { path in
                Section(header: Text(strings.text(path.title))) {
                    ForEach(Array(path.steps.enumerated()), id: \.offset) { index, step in
                        Text("\(index + 1). \(strings.text(step))")
                    }
                }
            }
        }
        .navigationTitle(strings.text(PhoneChangeGuide.title))
    }
}
