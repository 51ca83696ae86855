# Die Seiten der Bridge auf Deutsch. Jeder Schlüssel muss in jeder Sprache stehen (ein Test prüft das).
product-name = Anmeldung zur Videokonferenz

## Schaltflächen und Links
try-again = Erneut versuchen
set-up-second-factor = Noch keinen zweiten Schritt eingerichtet? Richten Sie ihn in Ihrem Konto ein und versuchen Sie es dann erneut.
join-as-guest = Stattdessen als Gast teilnehmen
use-another-account = Anderes Konto verwenden
log-out = Abmelden
back-to-meeting = Zurück zur Konferenz
request-id = Fehler { $status } · Anfrage-ID
footer-label = Seite
footer-imprint = Impressum
footer-privacy = Datenschutz
footer-help = Hilfe
support = Unterstützung:
admin-details = Angaben für Ihre Administration

## Startseite
index-title = Anmeldung zur Videokonferenz
index-text = Dieser Dienst meldet Sie bei Videokonferenzen an. Öffnen Sie den Link Ihrer Konferenz, um sich anzumelden und teilzunehmen.
index-room-label = Name der Konferenz
index-open = Öffnen

## Abgemeldet
logged-out-title = Sie sind abgemeldet
logged-out-text = Ihre Anmeldung ist beendet. Sie können dieses Fenster schließen.
logout-confirm-title = Abmelden?
logout-confirm-text = Damit endet Ihre Anmeldung, für die Konferenzen und für alle anderen Dienste mit derselben Anmeldung. Wenn Sie sich nicht abmelden wollten, schließen Sie diese Seite.

## Apps und Pop-ups
app-title = Sie sind angemeldet
app-text = Kehren Sie zur Jitsi-Meet-App zurück, um an der Konferenz teilzunehmen.
app-open = In der Jitsi-Meet-App öffnen
app-no-app = Keine App?
app-continue = In diesem Browser fortfahren
inline-title = Sie sind angemeldet
inline-text = Zurück zur Konferenz. Dieses Fenster schließt sich von selbst.

## Token-Inspektor (Demo)
inspect-title = Token-Inspektor
inspect-heading = Sie würden jetzt „{ $room }“ betreten
inspect-text = Dies ist der Token-Inspektor (für Vorführungen eingeschaltet). Im echten Betrieb geht der Browser stattdessen mit diesem Token zu Jitsi. Er läuft in { $seconds } Sekunden ab.
inspect-claim = Angabe
inspect-value = Wert
inspect-why = Warum
inspect-part = Teil
inspect-decided-by = Entschieden durch
inspect-header = Kopf
inspect-payload = Inhalt
inspect-another-room = Einen anderen Raum öffnen

## Fehler: Überschriften
err-bad-room-title = Dieser Raumname kann nicht verwendet werden
err-bad-tenant-title = Diese Konferenzadresse kann nicht verwendet werden
err-bad-state-title = Dieser Konferenzlink funktioniert nicht
err-login-expired-title = Diese Anmeldung ist abgelaufen
err-login-replayed-title = Diese Anmeldung wurde bereits verwendet
err-login-unknown-title = Diese Anmeldung ist unbekannt
err-bad-callback-title = Unvollständige Antwort der Anmeldung
err-login-cancelled-title = Anmeldung abgebrochen
err-idp-error-unknown-title = Die Anmeldung konnte nicht abgeschlossen werden
err-code-refused-title = Diese Anmeldung ist abgelaufen
err-idp-error-title = Der Anmeldeserver hat die Anmeldung abgelehnt
err-denied-title = Zugang verweigert
err-level-too-low-title = Eine stärkere Anmeldung ist nötig
err-issuer-missing-title = Antwort der Anmeldung ohne Absender
err-issuer-mismatch-title = Antwort vom falschen Anmeldeserver
err-idp-unavailable-title = Der Anmeldeserver ist nicht erreichbar
err-exchange-refused-title = Die Anmeldung konnte nicht abgeschlossen werden
err-id-token-invalid-title = Die Anmeldung konnte nicht überprüft werden
err-no-subject-title = Die Anmeldung konnte nicht überprüft werden
err-internal-title = Etwas ist schiefgegangen
err-bad-token-title = Dieses Token ist ungültig
err-token-expired-title = Dieses Token ist abgelaufen
err-not-found-title = Seite nicht gefunden
err-inline-unavailable-title = Dieses Anmeldefenster kann nicht verwendet werden
err-timeout-title = Das hat zu lange gedauert
err-too-long-title = Adresse zu lang
err-too-large-title = Anfrage zu groß
err-method-title = Nicht erlaubt
err-busy-title = Gerade melden sich zu viele an
err-bad-request-title = Ungültige Anfrage

## Fehler: Texte
err-bad-room = Leider { $detail } Bitte prüfen Sie den Link oder wählen Sie einen anderen Namen.
err-bad-tenant = Leider ist diese Konferenzadresse ungültig. Bitte prüfen Sie den Link.
err-bad-state = Die Konferenz hat Sie mit einem Link hierher geschickt, den die Anmeldung nicht verwenden kann. Bitte kehren Sie zur Konferenz zurück und öffnen Sie sie erneut über ihre eigene Adresse.
err-login-expired = Die Anmeldung hat zu lange gedauert und ist abgelaufen. Bitte öffnen Sie die Konferenz erneut.
err-login-replayed = Diese Anmeldung wurde bereits verwendet. Bitte öffnen Sie die Konferenz erneut.
err-login-unknown = Dieser Browser kennt diese Anmeldung nicht. Vielleicht wurde sie in einem anderen Browser begonnen oder schon beendet, oder Cookies sind blockiert. Bitte öffnen Sie die Konferenz erneut.
err-bad-callback = Die Antwort des Anmeldeservers war unvollständig. Bitte öffnen Sie die Konferenz erneut.
err-login-cancelled = Die Anmeldung wurde abgebrochen, deshalb wurden Sie nicht zur Konferenz weitergeleitet.
err-idp-error-unknown = Die Antwort des Anmeldeservers ist diesem Dienst unbekannt. Bitte öffnen Sie die Konferenz erneut.
err-code-refused = Der Anmeldeserver nimmt diese Anmeldung nicht mehr an (sie wurde schon verwendet oder hat zu lange gedauert). Bitte öffnen Sie die Konferenz erneut.
err-idp-error = Der Anmeldeserver meldet ein Problem mit dieser Anmeldung. Bitte versuchen Sie es erneut; wenn es wieder passiert, nennen Sie Ihrer Administration die Anfrage-ID unten.
err-denied = Mit diesem Konto dürfen Sie diese Konferenz nicht betreten.
err-denied-reason = Sie dürfen diese Konferenz nicht betreten: { $reason }
err-denied-undecided = Die Regeln dieser Konferenz ließen sich für Ihr Konto nicht prüfen, deshalb dürfen Sie vorerst nicht eintreten. Was zu ändern ist, sieht Ihre Administration unten.
err-denied-unverified-email = Die Regeln dieser Konferenz verlangen eine bestätigte E-Mail-Adresse. Bitte bestätigen Sie die Adresse Ihres Kontos und öffnen Sie die Konferenz dann erneut.
err-level-too-low = Diese Konferenz verlangt einen zweiten Anmeldeschritt, etwa einen Code aus einer Authenticator-App, und Ihre Anmeldung enthielt ihn nicht. Versuchen Sie es erneut und schließen Sie diesen Schritt ab, wenn Sie danach gefragt werden.
err-issuer-missing = Die Antwort der Anmeldung nennt keinen Anmeldeserver. Bitte öffnen Sie die Konferenz erneut.
err-issuer-mismatch = Die Antwort der Anmeldung kam nicht vom erwarteten Anmeldeserver. Bitte öffnen Sie die Konferenz erneut.
err-idp-unavailable = Der Anmeldeserver ist gerade nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut.
err-exchange-refused = Der Anmeldeserver hat den Abschluss der Anmeldung abgelehnt. Bitte versuchen Sie es erneut; wenn es wieder passiert, nennen Sie Ihrer Administration die Anfrage-ID unten.
err-id-token-invalid = Die vom Anmeldeserver gesendete Identität hat die Prüfungen dieses Dienstes nicht bestanden. Bitte versuchen Sie es erneut; wenn es wieder passiert, nennen Sie Ihrer Administration die Anfrage-ID unten.
err-no-subject = Der Anmeldeserver hat eine Identität ohne Benutzerkennung gesendet.
err-internal = Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut; wenn es wieder passiert, nennen Sie Ihrer Administration die Anfrage-ID unten.
err-bad-token = Das Token konnte nicht überprüft werden oder ist abgelaufen.
err-token-expired = Das Token war gültig, aber seine Zeit ist abgelaufen. Öffnen Sie die Konferenz erneut über diesen Dienst, um ein neues zu erhalten.
err-no-token = Es gibt kein Token anzuzeigen. Öffnen Sie eine Konferenz über diesen Dienst, um eines zu erhalten.
err-not-found = Hier gibt es nichts. Öffnen Sie stattdessen den Link Ihrer Konferenz.
err-inline-unavailable = Die Konferenz hat die Anmeldung in einem eigenen Fenster geöffnet, was hier nicht möglich ist. Schließen Sie dieses Fenster und öffnen Sie den Konferenzlink im Browser; bitte nennen Sie Ihrer Administration die Anfrage-ID unten.
err-timeout = Die Anfrage hat zu lange gedauert und wurde abgebrochen. Bitte versuchen Sie es erneut.
err-too-long = Die Adresse ist länger, als dieser Dienst annimmt. Bitte prüfen Sie den Link.
err-too-large = Die Anfrage ist größer, als dieser Dienst annimmt.
err-method = Diese Seite kann so nicht verwendet werden.
err-busy = Gerade melden sich zu viele Personen an. Bitte versuchen Sie es in ein paar Sekunden erneut.
err-bad-request = Dieser Dienst konnte die Anfrage nicht verstehen.

## Warum ein Raumname abgelehnt wurde (nach „Leider“)
room-empty = ist der Raumname leer.
room-too-long = ist der Raumname zu lang.
room-forbidden = enthält der Raumname „{ $char }“, das in Konferenznamen nicht vorkommen darf.
room-invisible = enthält der Raumname ein unsichtbares Zeichen.
room-slashlike = enthält der Raumname ein Zeichen, das wie ein Schrägstrich aussieht.
room-outer-space = beginnt oder endet der Raumname mit einem Leerzeichen.
room-dot = darf der Raumname nicht „.“ oder „..“ sein.
room-undecodable = ist der Raumname kein gültiger Text.
