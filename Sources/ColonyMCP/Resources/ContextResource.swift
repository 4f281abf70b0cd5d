import Foundation

/// The resource `colony://context/{scope}`: a scope's context as JSON.
enum ContextResource {
    static let prefix = "colony://context/"

    static func uri(scope: String) -> String {
        prefix + (scope.addingPercentEncoding(withAllowedCharacters: allowed) ?? scope)
    }

    /// Scope paths keep their '/' separators in the URI; anything outside URI
    /// path characters is percent-encoded.
    private static let allowed: CharacterSet = {
        var set = CharacterSet.urlPathAllowed
        set.remove(charactersIn: "?#%")
        return set
    }()

    /// The scope a URI names, or a failure that says what is wrong with the URI.
    static func scope(of uri: String) throws(JSONRPC.Failure) -> String {
        guard uri.hasPrefix(prefix) else {
            throw JSONRPC.Failure(JSONRPC.resourceNotFound, "unknown resource \"\(uri.prefix(200))\": Colony's resources are colony://context/{scope}",
                                  data: .object([("uri", .string(String(uri.prefix(1024))))]))
        }
        let encoded = String(uri.dropFirst(prefix.count))
        guard !encoded.isEmpty else { throw JSONRPC.Failure(JSONRPC.invalidParams, "the resource URI names no scope: use colony://context/{scope}") }
        guard let scope = encoded.removingPercentEncoding else {
            throw JSONRPC.Failure(JSONRPC.invalidParams, "malformed percent-encoding in \"\(uri.prefix(200))\"")
        }
        return scope
    }
}
