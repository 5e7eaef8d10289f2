import ArgumentParser
import Foundation
import TensorHTTP

/// `tensor-service healthcheck`: exits 0 when a GET of the URL answers 200 within the timeout, 1 otherwise.
/// It needs no shell tools, so a slim container image can run it as its HEALTHCHECK.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck", abstract: "Probes a running server: exit 0 when the URL answers 200.")

    @Option(
        help: """
            The http:// or https:// URL to GET. An https:// probe does not verify the certificate: it asks whether \
            this server answers, and connects by address, not by the name the certificate carries.
            """)
    var url = "http://127.0.0.1:8080/healthz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 3

    func run() throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["http", "https"].contains(scheme),
            let host = components.host
        else {
            throw ValidationError("--url must be an http:// or https:// URL")
        }
        let overTLS = scheme == "https"
        let result = Result { () throws(HTTPProbe.Failure) in
            try HTTPProbe.status(
                host: host, port: components.port ?? (overTLS ? 443 : 80), path: components.path.isEmpty ? "/" : components.path,
                overTLS: overTLS, timeoutSeconds: timeout)
        }
        guard case .success(200) = result else {
            let why = switch result {
            case .success(let status): "status \(status)"
            case .failure(.unreachable): "no answer"
            case .failure(.tlsHandshakeFailed): "the TLS handshake failed"
            case .failure(.malformedAnswer): "an answer that is not HTTP"
            }
            FileHandle.standardError.write(Data("unhealthy: \(why) from \(url)\n".utf8))
            throw ExitCode(1)
        }
    }
}
