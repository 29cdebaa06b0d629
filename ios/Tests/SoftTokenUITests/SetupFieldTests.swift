import SoftToken
import SoftTokenUI
import XCTest

/// 初期設定 while the user types: the field states (the core's rule) and 送信's enablement. No
/// network: nothing is sent.
///
/// Main-actor tests are `async` here: Linux XCTest calls synchronous tests from a nonisolated
/// context.
final class SetupFieldTests: XCTestCase {
    @MainActor private func model() -> SetupModel {
        SetupModel { _, _, _ in throw SoftTokenError.internal(detail: "never sent in these tests") }
    }

    @MainActor func testFullWidthSpacesAndHyphensAreAccepted() async {
        let setup = model()
        setup.setServiceId("１０１２ １２３４")
        setup.setUserId("1234-5678-9012-34ci")
        XCTAssertEqual(setup.state.value.serviceId.normalized, "10121234")
        XCTAssertEqual(setup.state.value.userId.normalized, "12345678901234CI")
        XCTAssertNil(setup.state.value.userId.error)
    }

    @MainActor func testACompleteUserIdWithWrongCheckLettersIsFlaggedOnTheField() async {
        let setup = model()
        setup.setUserId("12345678901234CJ")
        XCTAssertEqual(setup.state.value.userId.error?.key, .fieldCheckMismatch)
        setup.setUserId("1234567890123X")
        XCTAssertEqual(setup.state.value.userId.error, Message(.fieldNotADigit, ["position": "14"]))
        setup.setUserId("123456789012")
        XCTAssertNil(setup.state.value.userId.error, "short is not wrong yet")
        XCTAssertEqual(setup.state.value.userId.hint, Message(.fieldIncomplete, ["n": "4"]))
    }

    @MainActor func testSendIsEnabledOnlyWithBothIdsCompleteAndAPassword() async {
        let setup = model()
        XCTAssertFalse(setup.state.value.canSend)
        setup.setServiceId("10121234")
        setup.setUserId("12345678901234CI")
        XCTAssertFalse(setup.state.value.canSend, "no password yet")
        setup.setPassword("Sakura#2026")
        XCTAssertTrue(setup.state.value.canSend)
        setup.setUserId("12345678901234CJ")
        XCTAssertFalse(setup.state.value.canSend, "a typo disables 送信")
        setup.setUserId("12345678901234CI")
        setup.setServiceId("1012123")
        XCTAssertFalse(setup.state.value.canSend, "an incomplete Service ID disables 送信")
    }

    @MainActor func testThePasswordIsHiddenUntilTheToggle() async {
        let setup = model()
        XCTAssertFalse(setup.state.value.passwordVisible)
        setup.togglePasswordVisible()
        XCTAssertTrue(setup.state.value.passwordVisible)
        setup.togglePasswordVisible()
        XCTAssertFalse(setup.state.value.passwordVisible)
    }

    @MainActor func testStateChangesReachTheCallbackAndTheStream() async {
        let setup = model()
        var seen: [String] = []
        setup.state.onChange = { seen.append($0.serviceId.text) }
        var updates = setup.state.updates().makeAsyncIterator()
        let first = await updates.next()
        XCTAssertEqual(first?.serviceId.text, "")
        setup.setServiceId("1012")
        let second = await updates.next()
        XCTAssertEqual(second?.serviceId.text, "1012")
        XCTAssertEqual(seen, ["1012"])
    }
}
