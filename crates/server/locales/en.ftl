## Every page

brand = Ticketbooth
language-switch = Language
nav-account = My account
nav-sign-in = Sign in
sign-out = Sign out
continue = Continue
back = Back
price = ฿{ $amount }

## Form fields

field-email = Email address
field-password = Password
field-new-password = New password
field-new-email = New email address
field-current-password = Current password
field-first-name = First name
field-last-name = Last name
field-phone = Phone number
field-optional = optional
password-rules = At least 10 characters. Not your email address, and not a password everyone uses.

## Sign-in

sign-in-title = Sign in
sign-in-button = Sign in
sign-in-forgot = Forgot your password?
sign-in-no-account = New to Ticketbooth?
sign-in-create = Create an account
sign-in-failed = Incorrect email or password.
sign-in-throttled = Too many attempts. Try again in { $minutes } minutes.

## Sign-up

sign-up-title = Create your account
sign-up-intro = One account for your tickets and for every app that signs you in with Ticketbooth.
sign-up-button = Create account
sign-up-have-account = Already have an account?
sign-up-email-invalid = Enter an email address like name@example.com.
sign-up-name-invalid = Names can be at most 100 characters long.
sign-up-throttled = Too many sign-ups for this address. Try again in { $minutes } minutes.
sign-up-sent-title = Check your inbox
sign-up-sent-body = We sent a message to { $email }. Open the link in it to confirm your address (the link works for 24 hours).
sign-up-sent-next = You can go on now and confirm later.
password-too-short = The password must be at least 10 characters long.
password-too-long = The password can be at most 256 characters long.
password-same-as-email = The password must not be your email address.
password-common = This password is too common and easy to guess. Choose another.

## E-mail verification

verify-done-title = Address confirmed
verify-done-body = Thank you. Your email address is confirmed.
verify-banner = Please confirm your email address: we sent you a link when you signed up.
verify-resend-button = Send the link again
verify-resent = We sent a new link to { $email }.
link-invalid-title = This link no longer works
link-invalid-body = The link has expired, has already been used, or was copied incompletely. Ask for a new one.

## Password reset

forgot-title = Reset your password
forgot-intro = Enter the email address of your account and we will send you a link to choose a new password.
forgot-button = Send the link
forgot-sent-title = Check your inbox
forgot-sent-body = If an account uses { $email }, we sent it a link to reset the password. The link works for one hour.
reset-title = Choose a new password
reset-intro = Your new password signs you out of every other device.
reset-button = Save the new password
reset-done = Your password was changed and you are signed in.

## Account area

account-title = My account
account-nav-profile = Profile
account-nav-tickets = My tickets
account-nav-apps = Connected applications
account-nav-sessions = Sessions
account-signed-in-as = Signed in as { $email }
profile-title = Profile
profile-save = Save
profile-saved = Your profile was saved.
email-title = Email address
email-unverified = not confirmed yet
email-verified = confirmed
email-change-intro = We will send a link to the new address; the change happens when you open it.
email-change-button = Change email address
email-change-sent = We sent a link to the new address. Your address changes when you open it.
email-changed = Your email address is now { $email }.
password-title = Password
password-change-button = Change password
password-changed = Your password was changed. Other devices were signed out.
password-current-wrong = The current password is not correct.
tickets-title = My tickets
tickets-empty = You have no tickets yet.
tickets-count = { $count ->
    [one] 1 ticket
   *[other] { $count } tickets
}
ticket-type = Ticket type
ticket-reference = Reference
ticket-status = Status
ticket-status-active = Valid
ticket-status-used = Checked in
ticket-status-revoked = Cancelled
ticket-qr = QR code for ticket { $reference }
apps-title = Connected applications
apps-empty = You have not connected any application to your account.
apps-since = since { $date }
apps-revoke = Revoke access
sessions-title = Sessions
sessions-intro = Where your account is signed in.
sessions-this = This device
sessions-started = Signed in { $date }
sessions-from = from { $address }
sessions-unknown-browser = Unknown browser
sessions-end = Sign out
sessions-end-others = Sign out everywhere else

## Home

home-title = Your Ticketbooth account
home-signed-in = Signed in as { $email }.
home-signed-out = You are not signed in. Applications send you here to sign in when you connect them to your account.

## Consent

consent-title = Authorize { $app }
consent-heading = { $app } would like to
consent-signed-in = Signed in as { $email }. If you approve, you will be sent to { $host }.
consent-deny = Deny
consent-approve = Approve
consent-document-host = This app is published by { $host }. Approve only if you trust { $host }.
consent-loopback-warning = This app returns only to a program on your own device. Any program can use this name, so approve only if you just started it yourself.
awaiting-approval-title = Waiting for approval
awaiting-approval-body = This app is new here, and Ticketbooth's staff approve each new app before people can use it. Its request is with them now; please try again later.
scope-public = See your profile, your orders and your tickets
scope-organizer = Manage the events, orders and tickets of the organizers you belong to
scope-openid = Sign you in with your Ticketbooth account
scope-profile = See your name
scope-email = See your email address

## Demo callback

demo-title = Demo application callback

## Errors

error-hint = If you followed a link from another website, that website's sign-in link is broken. Let its owners know.
error-bad-request-title = This request cannot be completed
error-form-malformed = The form is malformed.
error-csrf-title = This form has expired
error-csrf-body = The form was not sent from this site or has expired. Go back, reload the page and try again.
error-internal-title = Something went wrong
error-internal-body = The server could not complete the request. Please try again.
error-unavailable-title = Briefly unavailable
error-unavailable-body = The service cannot reach its database just now. Please try again in a few seconds.
error-sign-in-busy-title = Busy right now
error-sign-in-busy-body = Many people are signing in at once. Please try again in a few seconds.
error-page-failed = The page could not be shown.
error-not-found-title = Page not found
error-not-found-body = There is nothing at this address.
error-no-file = There is no such file.
error-no-demo = The demo is not running.
error-method-title = Method not allowed
error-method-body = This method is not allowed here.
error-decision-missing = The form must be sent with Approve or Deny.
error-authorization-malformed = The authorization request is malformed.
error-sign-up-off = Sign-up is turned off on this server. Ask its operator for an account.

## Months

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Mail

mail-greeting = Hello { $name },
mail-signature = The Ticketbooth team
mail-ignore = If this was not you, you can ignore this message.
mail-welcome-subject = Confirm your email address
mail-welcome-body = Welcome to Ticketbooth. Please confirm that this is your email address by opening this link within 24 hours:
mail-welcome-button = Confirm my address
mail-exists-subject = Someone tried to create an account with your address
mail-exists-body = Someone, maybe you, tried to create a new Ticketbooth account with this address. You already have one. If you forgot its password, reset it here:
mail-reset-subject = Reset your password
mail-reset-body = We received a request to reset the password of your Ticketbooth account. Choose a new one with this link within one hour:
mail-reset-button = Choose a new password
mail-password-changed-subject = Your password was changed
mail-password-changed-body = The password of your Ticketbooth account was just changed, and every other device was signed out. If this was not you, reset your password now:
mail-change-subject = Confirm your new email address
mail-change-body = Open this link within 24 hours to make this the email address of your Ticketbooth account:
mail-change-button = Confirm the new address
mail-changed-subject = Your email address was changed
mail-changed-body = The email address of your Ticketbooth account was changed to { $email }. If this was not you, contact us right away.
mail-no-account-subject = Password reset
mail-no-account-body = Someone, maybe you, asked to reset the password of a Ticketbooth account with this address, but no account uses it. Maybe you signed up with another address. You can also create an account:
mail-no-account-button = Create an account
throttled = Too many requests. Try again in a few minutes.

## Applications by request (mail)
mail-request-received-subject = We received your request for “{ $name }”
mail-request-received-body = The platform's staff will review it and tell you by e-mail. You can follow it on the developer portal.
mail-request-button = Open the developer portal
mail-request-review-subject = Application request to review: “{ $name }”
mail-request-review-body = { $email } asked for an API application.
mail-request-review-button = Review the request
mail-request-approved-subject = “{ $name }” was approved
mail-request-approved-body = Your application is ready. Its client secret is shown once, the first time you open it on the developer portal.
mail-request-rejected-subject = “{ $name }” was not approved
mail-request-rejected-body = The reviewer's reason: { $reason }
sign-in-disabled = This account is disabled. Please contact the platform's support.

## Developer portal
account-nav-developers = Developers
account-nav-admin = Admin
portal-title = Developer portal
portal-intro = API applications are created by request. Describe what you are building; the platform's staff review each request and tell you by e-mail.
portal-request-button = Request an application
portal-apps-title = My applications
portal-apps-empty = You have no applications yet.
portal-requests-title = My requests
portal-requests-empty = No requests.
portal-status-pending = Pending review
portal-status-approved = Approved
portal-status-rejected = Rejected
portal-status-suspended = Suspended
portal-change = Change of scopes or organizer
portal-rejected-reason = Reason: { $reason }
portal-withdraw = Withdraw
portal-request-title = Request an application
portal-request-intro = Everything here is shown to the reviewer.
portal-field-name = Application name
portal-field-description = Description
portal-field-website = Website
portal-field-redirect-uris = Redirect URIs, one per line
portal-redirect-hint = Matched exactly. Use https; http only for 127.0.0.1 or localhost; native apps may use a private-use scheme such as com.example.app:/callback. No fragments.
portal-field-type = Client type
portal-type-confidential = Confidential: a server that keeps a client secret
portal-type-public = Public: a mobile or single-page app (no secret, PKCE)
portal-field-scopes = Scopes
portal-field-organizer = Acts for the organizer
portal-organizer-none = No organizer
portal-field-purpose = Why do you need it?
portal-request-submit = Send the request
portal-problem-name = Give the application a name.
portal-problem-too-long = A field is too long.
portal-problem-website = The website must be an http or https address.
portal-problem-redirect-missing = Give at least one redirect URI.
portal-problem-redirect-many = At most 20 redirect URIs.
portal-problem-redirect = This redirect URI is not an absolute URI without a fragment
portal-problem-redirect-insecure = This redirect URI must use https (http only for 127.0.0.1 or localhost)
portal-problem-scopes = Choose at least one scope.
portal-problem-scope-unknown = Unknown scope
portal-problem-organizer = You can only name an organizer you are a member of.
portal-problem-organizer-scope = An organizer goes with the organizer scope and a confidential client.
portal-client-id = Client ID
portal-client-secret = Client secret
portal-secret-once = Copy it now: it is shown only this once.
portal-secret-hidden = Hidden. It was shown once; rotate it if it is lost.
portal-public-client = None: a public client authenticates with PKCE.
portal-previous-secret = Previous secret
portal-previous-until = Keeps working until { $date }
portal-usage-day = Tokens issued in the last 24 hours
portal-usage-month = Tokens issued in the last 30 days
portal-usage-users = People who granted access
portal-usage-last = Last token issued
portal-never = Never
portal-change-pending = A change to the scopes { $scopes } is waiting for review.
portal-try-title = Try it
portal-authorize-url = Authorization URL
portal-exchange = Exchange the code for tokens
portal-call = Call the API
portal-client-credentials = A token for your organizer
portal-rotate-title = Rotate the secret
portal-grace = The old secret keeps working for
portal-days = { $count ->
    [one] 1 day
   *[other] { $count } days
}
portal-rotate-button = Make a new secret
portal-edit-title = Edit
portal-edit-review-hint = A change of scopes or organizer goes back to review; the rest applies at once.
portal-save = Save
portal-delete-title = Delete
portal-delete-button = Delete this application
portal-done-requested = Your request was sent. You will be told by e-mail.
portal-done-withdrawn = The request was withdrawn.
portal-done-deleted = The application was deleted.
portal-done-saved = Saved.
portal-done-review = Saved. The change of scopes or organizer waits for review.
portal-done-rotated = A new secret was made.
portal-done-suspended = The application was suspended and its tokens revoked.
portal-done-resumed = The application was resumed.
portal-done-approved = The request was approved.
portal-done-rejected = The request was rejected.
portal-done-disabled = The account was disabled.
portal-done-enabled = The account was enabled.
portal-done-reset = A password reset link was sent.
portal-done-role = The role was changed.
portal-done-member = Saved.
portal-done-created = Created.
portal-error-not-pending = This request was already reviewed.
portal-error-scopes = Grant at least one of the requested scopes, and only those.
portal-error-grace = The grace period is 0 to 7 days.
portal-error-last-admin = The platform must keep at least one administrator.
portal-error-no-secret = A public client has no secret.
portal-error-reason = Give a reason for the rejection.

## Admin console
admin-title = Admin console
admin-nav-requests = Requests
admin-nav-apps = Applications
admin-nav-users = Users
admin-nav-organizers = Organizers
admin-nav-audit = Audit log
admin-requester = Requested by
admin-requested-at = Requested at
admin-grant-scopes = Scopes to grant
admin-arrivals = New clients waiting for approval
admin-arrivals-about = AI agents and other programs that identified themselves with a metadata document, or registered themselves. Each waits until you approve it.
admin-arrival-review = Approve this client?
admin-arrival-redirects = It sends people back to
admin-origin-console = Created by staff
admin-origin-document = Metadata document
admin-origin-registration = Registered itself
admin-review-approved = Approved
admin-review-pending = Waiting for approval
admin-review-rejected = Rejected
admin-reason = Reason
admin-reason-hint = needed to reject; the requester sees it
admin-approve = Approve
admin-reject = Reject
admin-search = Search
admin-search-apps = Name or client ID
admin-search-users = E-mail or name
admin-owner = Owner
admin-owner-none = Created by an operator
admin-suspend = Suspend
admin-resume = Resume
admin-role-admin = Administrator
admin-disabled = Disabled
admin-none = None
admin-send-reset = Send a password reset link
admin-disable = Disable the account
admin-enable = Enable the account
admin-grant-admin = Make administrator
admin-revoke-admin = Remove the administrator role
admin-organizer-name = New organizer's name
admin-organizer-create = Create the organizer
admin-member-email = Member's e-mail
admin-add-member = Add the member
admin-remove-member = Remove
admin-audit-when = When
admin-audit-who = Who
admin-audit-action = Action
admin-audit-target = Target
admin-audit-change = Change
admin-audit-older = Older entries
error-forbidden-title = Not allowed
error-busy-title = Too many requests
error-admin-only = This page is for the platform's administrators.
portal-error-too-many = At most 5 of your requests can wait for review at once. Withdraw one, or wait for the reviewers.

## Device sign-in

device-title = Connect a device
device-intro = Enter the code your device shows, such as a door scanner or a box-office screen.
device-code-label = Device code
device-continue = Continue
device-signed-in = Signed in as { $email }.
device-code-wrong = That code is not right, or it has expired. Check the code on your device.
device-code-used = That code has already been used. Start again on the device for a new one.
device-confirm-heading = Connect { $app }?
device-confirm-check = Check that your device shows this code. If it does not, deny.
device-confirm-scopes = The device will be able to:
device-approved-title = Device connected
device-approved-body = { $app } is signed in. You can go back to your device.
device-denied-title = Request denied
device-denied-body = The device was not signed in. You can close this page.

## Sign-out requested by an application

logout-title = Sign out of Ticketbooth?
logout-asked-by = { $app } asks you to sign out.
logout-question = You will be signed out here and in the applications you connected that support it.
logout-stay = Stay signed in
signed-out-title = You are signed out
signed-out-body = You can close this page.
