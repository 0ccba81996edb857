-- A neutralized copy of a database must never talk to the customer's QuickBooks company:
-- forget every token and secret, and say why on the connection.
UPDATE qbo_connection
   SET access_token = NULL,
       refresh_token = NULL,
       oauth_nonce = NULL,
       client_secret = NULL,
       webhook_verifier_token = NULL,
       access_token_expires_at = NULL,
       refresh_token_expires_at = NULL,
       state = 'disconnected',
       state_reason = 'Disconnected by database neutralization.';
