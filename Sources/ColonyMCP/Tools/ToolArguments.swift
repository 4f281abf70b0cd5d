/// A tool call's arguments, read with checks whose errors say which argument
/// was wrong and what was expected, so a model can correct its call.
struct ToolArguments {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    let tool: String
    let members: [(String, JSONValue)]

    /// Checks that `value` is an object (or absent) holding only `allowed` names.
    init(tool: String, _ value: JSONValue?, allowed: [String]) throws(Invalid) {
        self.tool = tool
        switch value {
        case nil, .null?: members = []
        case .object(let m)?:
            for (k, _) in m where !allowed.contains(k) {
                throw Invalid(allowed.isEmpty ? "\(tool) takes no arguments, but got \"\(k.prefix(64))\""
                              : "unknown argument \"\(k.prefix(64))\" for \(tool); it takes: \(allowed.joined(separator: ", "))")
            }
            members = m
        case let other?:
            throw Invalid("arguments of \(tool) must be an object, not \(other.typeName)")
        }
    }

    func value(_ name: String) -> JSONValue? {
        for (k, v) in members.reversed() where k == name { return v == .null ? nil : v }
        return nil
    }

    func string(_ name: String) throws(Invalid) -> String? {
        guard let v = value(name) else { return nil }
        guard case .string(let s) = v else { throw Invalid("\(name) must be a string, not \(v.typeName)") }
        return s
    }

    func requiredString(_ name: String) throws(Invalid) -> String {
        guard let s = try string(name) else { throw Invalid("missing required argument \"\(name)\" (a string)") }
        return s
    }

    func int(_ name: String, in range: ClosedRange<Int64>) throws(Invalid) -> Int64? {
        guard let v = value(name) else { return nil }
        let i: Int64
        switch v {
        case .int(let x): i = x
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: i = Int64(d)
        default: throw Invalid("\(name) must be an integer, not \(v.typeName == "number" ? "a fraction" : v.typeName)")
        }
        guard range.contains(i) else { throw Invalid("\(name) \(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    func double(_ name: String, in range: ClosedRange<Double>) throws(Invalid) -> Double? {
        guard let v = value(name) else { return nil }
        let d: Double
        switch v {
        case .int(let x): d = Double(x)
        case .double(let x): d = x
        default: throw Invalid("\(name) must be a number, not \(v.typeName)")
        }
        guard range.contains(d) else { throw Invalid("\(name) \(d) is outside \(range.lowerBound)...\(range.upperBound)") }
        return d
    }

    func strings(_ name: String) throws(Invalid) -> [String]? {
        guard let v = value(name) else { return nil }
        guard case .array(let items) = v else { throw Invalid("\(name) must be an array of strings, not \(v.typeName)") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw Invalid("\(name) must hold only strings, found \(item.typeName)") }
            out.append(s)
        }
        return out
    }

    func oneOf(_ name: String, _ choices: [String]) throws(Invalid) -> String? {
        guard let s = try string(name) else { return nil }
        guard choices.contains(s) else { throw Invalid("\(name) must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(s.prefix(64))\"") }
        return s
    }
}
