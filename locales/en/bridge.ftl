# The bridge's pages in English. Every key must exist in every language (a test checks).
product-name = Meeting login

## Buttons and links
try-again = Try again
set-up-second-factor = No second step set up yet? Set one up in your account, then try again.
join-as-guest = Join the meeting as a guest instead
use-another-account = Use another account
log-out = Log out
back-to-meeting = Back to the meeting
request-id = Error { $status } · request id
footer-label = Site
footer-imprint = Imprint
footer-privacy = Privacy
footer-help = Help
support = Support:
admin-details = Details for your administrator

## Start page
index-title = Meeting login
index-text = This service signs you in to video meetings. Open the link of your meeting to log in and join.
index-room-label = Meeting name
index-open = Open

## Logged out
logged-out-title = You are logged out
logged-out-text = Your login session has ended. You can close this window.
logout-confirm-title = Log out?
logout-confirm-text = This ends your login session, for the meetings and for every other service that uses the same login. If you did not ask to log out, close this page.

## Apps and pop-ups
app-title = You are logged in
app-text = Return to the Jitsi Meet app to join the meeting.
app-open = Open in the Jitsi Meet app
app-no-app = No app?
app-continue = Continue in this browser
inline-title = You are logged in
inline-text = Returning to the meeting. This window closes by itself.

## Token inspector (demo)
inspect-title = Token inspector
inspect-heading = You would now enter “{ $room }”
inspect-text = This is the token inspector (enabled for demos). In a real deployment the browser goes to Jitsi with this token instead. It expires in { $seconds } seconds.
inspect-claim = Claim
inspect-value = Value
inspect-why = Why
inspect-part = Part
inspect-decided-by = Decided by
inspect-header = Header
inspect-payload = Payload
inspect-another-room = Open another room

## Errors: titles
err-bad-room-title = This room name cannot be used
err-bad-tenant-title = This meeting address cannot be used
err-bad-state-title = This meeting link does not work
err-login-expired-title = This login has expired
err-login-replayed-title = This login was already used
err-login-unknown-title = This login is unknown
err-bad-callback-title = Incomplete login answer
err-login-cancelled-title = Login cancelled
err-idp-error-unknown-title = The login could not be completed
err-code-refused-title = This login has expired
err-idp-error-title = The login server refused the login
err-denied-title = Access denied
err-level-too-low-title = A stronger sign-in is needed
err-issuer-missing-title = Login answer without its sender
err-issuer-mismatch-title = Login answer from the wrong server
err-idp-unavailable-title = The login server is not reachable
err-exchange-refused-title = The login could not be completed
err-id-token-invalid-title = The login could not be verified
err-no-subject-title = The login could not be verified
err-internal-title = Something went wrong
err-bad-token-title = This token is not valid
err-token-expired-title = This token has expired
err-not-found-title = Page not found
err-inline-unavailable-title = This login window cannot be used
err-timeout-title = This took too long
err-too-long-title = Address too long
err-too-large-title = Request too large
err-method-title = Not allowed
err-busy-title = Too many people are logging in
err-bad-request-title = Bad request

## Errors: messages
err-bad-room = Sorry, { $detail } Please check the link or choose another name.
err-bad-tenant = Sorry, this meeting address is not valid. Please check the link.
err-bad-state = The meeting sent you here with a link the login cannot use. Please go back to the meeting and open it again from its own address.
err-login-expired = The login took too long and has expired. Please open the meeting again.
err-login-replayed = This login was already used. Please open the meeting again.
err-login-unknown = This browser has no record of this login. It may have been started in another browser or already finished, or cookies may be blocked. Please open the meeting again.
err-bad-callback = The answer from the login server was incomplete. Please open the meeting again.
err-login-cancelled = The login was cancelled, so you were not sent to the meeting.
err-idp-error-unknown = The answer from the login server was not one this service knows. Please open the meeting again.
err-code-refused = The login server no longer accepts this login (it was already used or took too long). Please open the meeting again.
err-idp-error = The login server reported a problem with this login. Please try again; if it keeps happening, tell your administrator the request id below.
err-denied = You may not enter this meeting with this account.
err-denied-reason = You may not enter this meeting: { $reason }
err-denied-undecided = The rules of this meeting could not be checked for your account, so you may not enter for now. Your administrator can see what to change below.
err-denied-unverified-email = The rules of this meeting need a verified e-mail address. Please verify the address of your account, then open the meeting again.
err-level-too-low = This meeting asks for a second sign-in step, such as a code from an authenticator app, and your sign-in did not include it. Try again and complete that step when asked.
err-issuer-missing = The login answer did not say which login server sent it. Please open the meeting again.
err-issuer-mismatch = The login answer did not come from the expected login server. Please open the meeting again.
err-idp-unavailable = The login server cannot be reached right now. Please try again in a minute.
err-exchange-refused = The login server refused to complete the login. Please try again; if it keeps happening, tell your administrator the request id below.
err-id-token-invalid = The identity sent by the login server failed this service's checks. Please try again; if it keeps happening, tell your administrator the request id below.
err-no-subject = The login server sent an identity without a user id.
err-internal = Something went wrong on our side. Please try again; if it keeps happening, tell your administrator the request id below.
err-bad-token = The token could not be verified, or it has expired.
err-token-expired = The token was valid but its time is over. Open the meeting again through this service for a new one.
err-no-token = There is no token to show. Open a meeting through this service to get one.
err-not-found = There is nothing here. Open the link of your meeting instead.
err-inline-unavailable = The meeting opened the login in a separate window, which is not possible here. Close this window and open the meeting link in your browser; please tell your administrator the request id below.
err-timeout = The request took too long and was stopped. Please try again.
err-too-long = The address is longer than this service accepts. Please check the link.
err-too-large = The request was larger than this service accepts.
err-method = This page cannot be used that way.
err-busy = Too many people are logging in at this moment. Please try again in a few seconds.
err-bad-request = This service could not understand the request.

## Why a room name was refused (after "Sorry,")
room-empty = the room name is empty.
room-too-long = the room name is too long.
room-forbidden = the room name contains “{ $char }”, which meeting names cannot contain.
room-invisible = the room name contains an invisible character.
room-slashlike = the room name contains a character that looks like a slash.
room-outer-space = the room name starts or ends with a space.
room-dot = the room name cannot be “.” or “..”.
room-undecodable = the room name is not valid text.
