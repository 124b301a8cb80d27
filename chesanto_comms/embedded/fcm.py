"""A local server that answers as Firebase Cloud Messaging's HTTP v1 API and Google's OAuth2
token endpoint do, for tests and the demo.

    with FcmServer() as server:
        account = server.service_account_info()   # a key it made: its token_uri is this server
        ...  # PUSH_SERVICE_ACCOUNT=json.dumps(account), PUSH_API_URL=server.url
        server.wait_for(lambda requests: bool(server.to(device_token)))

POST /token (the service account's token_uri) takes the JWT-bearer grant as Google's does: the
assertion must be an RS256 JWT signed with the service account's key (checked against the public
key the server was given, or made), issued by its client_email, for the messaging scope, short
lived and current; otherwise 400 invalid_grant. It answers a bearer token valid `token_lifetime`
seconds.

POST /v1/projects/{project}/messages:send checks the bearer token (issued here, not expired),
the project and the message's shape (one token, string data values, known fields) and answers
{"name": "projects/{project}/messages/{id}"}, or FCM's error for the device token:
  unregistered-…  -> 404 UNREGISTERED          invalid-…     -> 400 INVALID_ARGUMENT (the token)
  quota-…         -> 429 QUOTA_EXCEEDED         unavailable-… -> 503 UNAVAILABLE (both Retry-After: 1)
  internal-…      -> 500 INTERNAL               mismatch-…    -> 403 SENDER_ID_MISMATCH
  apns-auth-…     -> 401 THIRD_PARTY_AUTH_ERROR
and any token can be scripted: `script(token, FcmOutcome("QUOTA_EXCEEDED", retry_after=2, times=1))`.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chesanto_comms.embedded.provider_api import ProviderApiServer, RecordedRequest, Reply

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # the audience google-auth signs for
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
MAX_ASSERTION_LIFETIME = 3600  # seconds, as Google allows
CLOCK_SKEW = 60  # seconds an assertion's iat may be ahead of our clock
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
SEND_PATH = re.compile(r"/v1/projects/([^/]+)/messages:send")
MESSAGE_FIELDS = {"name", "data", "notification", "android", "webpush", "apns", "fcm_options", "token", "topic",
                  "condition"}

ERRORS = {  # FCM errorCode: (HTTP status, google.rpc status, message)
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for sending messages to this device."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
}
PREFIXES = {"unregistered-": "UNREGISTERED", "invalid-": "INVALID_ARGUMENT", "quota-": "QUOTA_EXCEEDED",
            "unavailable-": "UNAVAILABLE", "internal-": "INTERNAL", "mismatch-": "SENDER_ID_MISMATCH",
            "apns-auth-": "THIRD_PARTY_AUTH_ERROR"}


@dataclass(frozen=True)
class FcmOutcome:
    """What the server answers for one device token."""

    error: str | None = None  # an FCM errorCode of ERRORS; None = accepted
    retry_after: int | None = None  # seconds, sent as Retry-After
    times: int | None = None  # answer the error this many times, then accept; None = always
    delay: float = 0.0  # seconds before answering (a slow FCM)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_reply(status: int, body: dict, headers: dict[str, str] | None = None, delay: float = 0.0) -> Reply:
    return Reply(status, json.dumps(body).encode(), headers=headers or {}, delay=delay)


def fcm_error(code: str, message: str | None = None, retry_after: int | None = None, delay: float = 0.0) -> Reply:
    http_status, rpc_status, default = ERRORS[code]
    body = {"error": {"code": http_status, "message": message or default, "status": rpc_status,
                      "details": [{"@type": FCM_ERROR, "errorCode": code}]}}
    return _json_reply(http_status, body, {"Retry-After": str(retry_after)} if retry_after is not None else {}, delay)


def bad_request(field: str, description: str) -> Reply:
    """A malformed request: google.rpc INVALID_ARGUMENT naming the field, as FCM answers it."""
    body = {"error": {"code": 400, "message": description, "status": "INVALID_ARGUMENT",
                      "details": [{"@type": BAD_REQUEST, "fieldViolations": [{"field": field, "description": description}]}]}}
    return _json_reply(400, body)


def rpc_error(http_status: int, status: str, message: str) -> Reply:
    return _json_reply(http_status, {"error": {"code": http_status, "message": message, "status": status}})


class FcmServer(ProviderApiServer):
    def __init__(self, *, project_id: str = "chesanto-bakery-test",
                 client_email: str = "fcm-sender@chesanto-bakery-test.iam.gserviceaccount.com",
                 token_lifetime: int = 3600, public_key_pem: bytes | None = None,
                 private_key: rsa.RSAPrivateKey | None = None, **kwargs):
        """The service account's key: its public half (`public_key_pem`), or a key pair (`private_key`,
        or one made here, as the Firebase console makes one) whose key file `service_account_info` gives."""
        super().__init__(api_key="", username=project_id, **kwargs)
        self.project_id, self.client_email, self.token_lifetime = project_id, client_email, token_lifetime
        self._private_key = None
        if public_key_pem is None:
            self._private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.public_key = self._private_key.public_key()
        else:
            self.public_key = serialization.load_pem_public_key(public_key_pem)
        self.key_id = secrets.token_hex(20)
        self.issued: dict[str, float] = {}  # access token -> when it expires (epoch seconds)
        self._errors_answered: Counter[str] = Counter()
        self._lock = threading.Lock()

    # --- the service account -----------------------------------------------------
    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def service_account_info(self) -> dict[str, str]:
        """A service-account key file's content for the key pair this server made, pointing at it."""
        if self._private_key is None:
            raise ValueError("this server was given a public key; the service account key is yours")
        pem = self._private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": self.project_id, "private_key_id": self.key_id,
                "private_key": pem, "client_email": self.client_email, "client_id": "100000000000000000001",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri}

    def expire_tokens(self) -> None:
        """End every access token issued so far (as a revocation would) before its announced expiry."""
        with self._lock:
            self.issued = {token: 0.0 for token in self.issued}

    # --- scripting and what was received -------------------------------------------
    def script(self, token: str, outcome: FcmOutcome) -> None:  # type: ignore[override]
        self.outcomes[token] = outcome

    def builtin_outcome(self, token: str) -> FcmOutcome:  # type: ignore[override]
        code = next((code for prefix, code in PREFIXES.items() if token.startswith(prefix)), None)
        return FcmOutcome(code, retry_after=1 if code in ("QUOTA_EXCEEDED", "UNAVAILABLE") else None)

    def recipients(self, request: RecordedRequest) -> list[str]:
        message = request.form.get("message") if SEND_PATH.fullmatch(request.path) else None
        return [message["token"]] if isinstance(message, dict) and isinstance(message.get("token"), str) else []

    @property
    def token_requests(self) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if r.path == "/token"]

    @property
    def send_requests(self) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if SEND_PATH.fullmatch(r.path)]

    # --- answers -----------------------------------------------------------------------
    def answer(self, method: str, path: str, headers: dict[str, str], form: dict) -> Reply:
        path = path.split("?")[0]
        if path == "/token":
            return self._token(method, form)
        if match := SEND_PATH.fullmatch(path):
            return self._send(method, match.group(1), headers, form)
        return rpc_error(404, "NOT_FOUND", f"{path} is not a path of this API")

    def _token(self, method: str, form: dict) -> Reply:
        if method != "POST":
            return rpc_error(405, "METHOD_NOT_ALLOWED", "the token endpoint takes POST")
        if form.get("grant_type") != JWT_BEARER:
            return _json_reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "
                                     f"{form.get('grant_type', '')}"})
        problem = self._assertion_problem(str(form.get("assertion", "")))
        if problem:
            return _json_reply(400, {"error": "invalid_grant", "error_description": problem})
        token = f"ya29.local-{secrets.token_urlsafe(32)}"
        with self._lock:
            self.issued[token] = time.time() + self.token_lifetime
        return _json_reply(200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"})

    def _assertion_problem(self, assertion: str) -> str | None:
        """What is wrong with the JWT assertion, in Google's words; None when it is good."""
        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            header, claims = json.loads(_b64decode(header_b64)), json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            return "Invalid JWT: not a compact JWS (header.claims.signature)"
        if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
            return "Invalid JWT: the algorithm must be RS256"
        try:
            self.public_key.verify(signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(),
                                   hashes.SHA256())
        except InvalidSignature:
            return "Invalid JWT Signature."
        if claims.get("iss") != self.client_email:
            return f"Invalid JWT: iss {claims.get('iss')!r} is not the service account {self.client_email}"
        if claims.get("aud") not in (GOOGLE_TOKEN_URI, self.token_uri):
            return f"Invalid JWT: aud {claims.get('aud')!r} is not the token endpoint"
        if SCOPE not in str(claims.get("scope", "")).split():
            return f"Invalid JWT: scope {claims.get('scope')!r} lacks {SCOPE}"
        now, iat, exp = time.time(), claims.get("iat"), claims.get("exp")
        if (not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or exp <= now
                or iat > now + CLOCK_SKEW or exp - iat > MAX_ASSERTION_LIFETIME):
            return ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                    "Check your iat and exp values in the JWT claim.")
        return None

    def _send(self, method: str, project: str, headers: dict[str, str], body: dict) -> Reply:
        if method != "POST":
            return rpc_error(405, "METHOD_NOT_ALLOWED", "messages:send takes POST")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        with self._lock:
            expires = self.issued.get(token) if scheme == "Bearer" else None
        if expires is None or expires <= time.time():
            return rpc_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
                             "access token, login cookie or other valid authentication credential.")
        if project != self.project_id:
            return rpc_error(403, "PERMISSION_DENIED", f"Permission 'cloudmessaging.messages.create' denied on "
                             f"resource '//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist).")
        if problem := self._shape_problem(body):
            return bad_request(*problem)
        device = body["message"]["token"]
        outcome = self.outcomes.get(device) or self.builtin_outcome(device)
        if outcome.error:
            with self._lock:
                answered = self._errors_answered[device]
                if outcome.times is None or answered < outcome.times:
                    self._errors_answered[device] += 1
                    return fcm_error(outcome.error, retry_after=outcome.retry_after, delay=outcome.delay)
        return Reply(200, json.dumps({"name": f"projects/{project}/messages/0:{int(time.time() * 1000)}"
                                             f"%{uuid.uuid4().hex[:16]}"}).encode(), delay=outcome.delay)

    @staticmethod
    def _shape_problem(body: dict) -> tuple[str, str] | None:
        """(field, description) of the first thing FCM would refuse in the request body."""
        unknown = sorted(set(body) - {"message", "validate_only"})
        if unknown:
            return unknown[0], f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
        message = body.get("message")
        if not isinstance(message, dict):
            return "message", "message is required"
        unknown = sorted(set(message) - MESSAGE_FIELDS)
        if unknown:
            return f"message.{unknown[0]}", f'Invalid JSON payload received. Unknown name "{unknown[0]}" at \'message\'.'
        if sum(1 for target in ("token", "topic", "condition") if message.get(target)) != 1:
            return "message.token", "Exactly one of token, topic or condition must be specified"
        if not isinstance(message.get("token"), str):
            return "message.token", "this server takes messages to a device token only"
        notification = message.get("notification", {})
        if not isinstance(notification, dict) or any(not isinstance(v, str) for v in notification.values()):
            return "message.notification", "notification title and body must be strings"
        data = message.get("data", {})
        if not isinstance(data, dict):
            return "message.data", "data must be a map of strings"
        for i, (key, value) in enumerate(data.items()):
            if not isinstance(value, str):
                return f"message.data[{i}].value", f"Invalid value at 'message.data[{i}].value' (TYPE_STRING), {value}"
            if key in ("from", "notification", "message_type") or key.startswith(("google", "gcm")):
                return f"message.data[{i}].key", f"Invalid data key: {key}"
        android = message.get("android", {})
        if android.get("priority", "NORMAL") not in ("NORMAL", "HIGH"):
            return "message.android.priority", f"Invalid value at 'message.android.priority', {android['priority']}"
        if "ttl" in android and not re.fullmatch(r"\d+(\.\d{1,9})?s", str(android["ttl"])):
            return "message.android.ttl", f"Invalid value at 'message.android.ttl' (google.protobuf.Duration), {android['ttl']}"
        apns_headers = message.get("apns", {}).get("headers", {})
        if any(not isinstance(v, str) for v in apns_headers.values()):
            return "message.apns.headers", "apns headers must be strings"
        return None
