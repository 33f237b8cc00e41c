"""The OWASP API Security Top 10 (2023), one module per risk, tried as an attacker would.

Each module names its risk, says what in Inkwell it applies to, and lists the tests elsewhere
in `tests/` that already cover part of it. Cases are real HTTP requests against the real server
(tests/conftest.py), unless what is checked is a property of the code or of the contract.

- API1 Broken Object Level Authorization: drafts, comments, accounts.
- API2 Broken Authentication: tokens, signing keys, sign-in limits, revocation.
- API3 Broken Object Property Level Authorization: request and response fields.
- API4 Unrestricted Resource Consumption: bodies, bounds, password hashing, answer sizes.
- API5 Broken Function Level Authorization: admin operations, signed-in operations.
- API6 Unrestricted Access to Sensitive Business Flows: registration and sign-in.
- API7 Server Side Request Forgery: does not apply (the server fetches no URL); asserted.
- API8 Security Misconfiguration: headers, CORS, error answers, start-up without a key.
- API9 Improper Inventory Management: the routes served against the contract.
- API10 Unsafe Consumption of APIs: does not apply (no third-party API); asserted.
"""
