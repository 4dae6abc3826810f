import base64, datetime, hashlib, json, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

root_file, issuer, user, password = sys.argv[1:5]
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
now = datetime.datetime.now(datetime.timezone.utc)
certificate = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(minutes=5))
    .not_valid_after(now + datetime.timedelta(days=1))
    .sign(key, hashes.SHA256())
)
with open(root_file, "wb") as file:
    file.write(certificate.public_bytes(serialization.Encoding.PEM))
# distribution finds the signing key by libtrust's key id: the first 240 bits of
# the SHA-256 of the public key (DER), base32, in groups of four.
der = key.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
key_id = ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))
expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TokenService(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        given = self.headers.get("Authorization")
        if given is not None and given != expected:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "wrong user name or password"}]})
        granted = {"pull", "push", "*"} if given else {"pull"}
        access = []
        for scope in query.get("scope", []):
            kind, repository, actions = scope.rsplit(":", 2) if scope.count(":") >= 2 else (scope, "", "")
            allowed = [action for action in actions.split(",") if action in granted]
            access.append({"type": kind, "name": repository, "actions": allowed})
        issued = int(time.time())
        claims = {
            "iss": issuer,
            "sub": user if given else "",
            "aud": query.get("service", [""])[0],
            "iat": issued,
            "nbf": issued - 60,
            "exp": issued + 300,
            "jti": str(uuid.uuid4()),
            "access": access,
        }
        token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": key_id})
        print(json.dumps({"user": user if given else None, "scope": query.get("scope", [])}), file=sys.stderr, flush=True)
        self.reply(200, {"token": token, "expires_in": 300})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), TokenService)
print(server.server_address[1], flush=True)
server.serve_forever()
