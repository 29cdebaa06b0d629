import SoftTokenUI
import XCTest

/// The code's grouping, copy text, countdown and announcement moments: pure rules.
final class CodeFaceTests: XCTestCase {
    func testEightDigitsShowAsTwoGroupsOfFour() {
        XCTAssertEqual(CodeFace.grouped("12345678"), "1234 5678")
        XCTAssertEqual(CodeFace.grouped("123456"), "123 456")
        XCTAssertEqual(CodeFace.grouped("1234"), "1234")
    }

    func testCopyKeepsOnlyTheDigits() {
        XCTAssertEqual(CodeFace.copyText("1234 5678"), "12345678")
        XCTAssertEqual(CodeFace.copyText(CodeFace.grouped("00012345")), "00012345")
    }

    func testTheFractionIsFullAtTheStartAndEmptyAtTheBoundary() {
        let period: Int64 = 30_000
        let expires: Int64 = 1_700_000_010_000
        let start = CodeFace.countdown(expiresAtMs: expires, periodMs: period, nowMs: expires - period)
        XCTAssertEqual(start.fraction, 1)
        XCTAssertEqual(start.secondsLeft, 30)
        let half = CodeFace.countdown(expiresAtMs: expires, periodMs: period, nowMs: expires - 15_000)
        XCTAssertEqual(half.fraction, 0.5)
        let lastMs = CodeFace.countdown(expiresAtMs: expires, periodMs: period, nowMs: expires - 1)
        XCTAssertGreaterThan(lastMs.fraction, 0)
        XCTAssertEqual(lastMs.secondsLeft, 1)
        let over = CodeFace.countdown(expiresAtMs: expires, periodMs: period, nowMs: expires)
        XCTAssertEqual(over.fraction, 0)
        XCTAssertEqual(over.secondsLeft, 0)
        let late = CodeFace.countdown(expiresAtMs: expires, periodMs: period, nowMs: expires + 5)
        XCTAssertEqual(late.fraction, 0, "never negative")
    }

    func testTheCountdownSpeaksOnlyAtTwentyAndTenSecondsAndOnANewCode() {
        var spoken: [Int: Announcement] = [:]
        var previous: Int?
        for seconds in stride(from: 30, through: 1, by: -1) {
            if let said = CodeFace.announcement(
                previousSecondsLeft: previous, secondsLeft: seconds, codeChanged: false)
            {
                spoken[seconds] = said
            }
            previous = seconds
        }
        XCTAssertEqual(spoken, [20: .secondsLeft(20), 10: .secondsLeft(10)])
        XCTAssertEqual(
            CodeFace.announcement(previousSecondsLeft: 1, secondsLeft: 30, codeChanged: true),
            .newCode)
        XCTAssertNil(
            CodeFace.announcement(previousSecondsLeft: nil, secondsLeft: 30, codeChanged: false),
            "the first showing is read as the screen's content, not announced")
        XCTAssertEqual(
            CodeFace.announcement(previousSecondsLeft: 23, secondsLeft: 18, codeChanged: false),
            .secondsLeft(20), "a tick that jumps over the mark still announces it")
    }
}
