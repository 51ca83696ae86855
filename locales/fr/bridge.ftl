# Les pages de la passerelle en français. Chaque clé doit exister dans chaque langue (un test le vérifie).
product-name = Connexion aux réunions

## Boutons et liens
try-again = Réessayer
set-up-second-factor = Pas encore de deuxième étape ? Configurez-la dans votre compte, puis réessayez.
join-as-guest = Rejoindre plutôt la réunion en tant qu’invité
use-another-account = Utiliser un autre compte
log-out = Se déconnecter
back-to-meeting = Retour à la réunion
request-id = Erreur { $status } · identifiant de la requête
footer-label = Site
footer-imprint = Mentions légales
footer-privacy = Confidentialité
footer-help = Aide
support = Assistance :
admin-details = Détails pour votre administration

## Page d’accueil
index-title = Connexion aux réunions
index-text = Ce service vous connecte aux visioconférences. Ouvrez le lien de votre réunion pour vous connecter et la rejoindre.
index-room-label = Nom de la réunion
index-open = Ouvrir

## Déconnexion
logged-out-title = Vous êtes déconnecté
logged-out-text = Votre session de connexion est terminée. Vous pouvez fermer cette fenêtre.
logout-confirm-title = Se déconnecter ?
logout-confirm-text = Cela met fin à votre session, pour les réunions et pour tous les autres services qui utilisent la même connexion. Si vous n’avez pas demandé à vous déconnecter, fermez cette page.

## Applications et fenêtres
app-title = Vous êtes connecté
app-text = Revenez à l’application Jitsi Meet pour rejoindre la réunion.
app-open = Ouvrir dans l’application Jitsi Meet
app-no-app = Pas d’application ?
app-continue = Continuer dans ce navigateur
inline-title = Vous êtes connecté
inline-text = Retour à la réunion. Cette fenêtre se ferme d’elle-même.

## Inspecteur de jeton (démo)
inspect-title = Inspecteur de jeton
inspect-heading = Vous entreriez maintenant dans « { $room } »
inspect-text = Ceci est l’inspecteur de jeton (activé pour les démonstrations). En service réel, le navigateur va vers Jitsi avec ce jeton. Il expire dans { $seconds } secondes.
inspect-claim = Donnée
inspect-value = Valeur
inspect-why = Pourquoi
inspect-part = Partie
inspect-decided-by = Décidé par
inspect-header = En-tête
inspect-payload = Contenu
inspect-another-room = Ouvrir une autre salle

## Erreurs : titres
err-bad-room-title = Ce nom de salle ne peut pas être utilisé
err-bad-tenant-title = Cette adresse de réunion ne peut pas être utilisée
err-bad-state-title = Ce lien de réunion ne fonctionne pas
err-login-expired-title = Cette connexion a expiré
err-login-replayed-title = Cette connexion a déjà été utilisée
err-login-unknown-title = Cette connexion est inconnue
err-bad-callback-title = Réponse de connexion incomplète
err-login-cancelled-title = Connexion annulée
err-idp-error-unknown-title = La connexion n’a pas pu aboutir
err-code-refused-title = Cette connexion a expiré
err-idp-error-title = Le serveur de connexion a refusé la connexion
err-denied-title = Accès refusé
err-level-too-low-title = Une connexion renforcée est nécessaire
err-issuer-missing-title = Réponse de connexion sans expéditeur
err-issuer-mismatch-title = Réponse du mauvais serveur de connexion
err-idp-unavailable-title = Le serveur de connexion est injoignable
err-exchange-refused-title = La connexion n’a pas pu aboutir
err-id-token-invalid-title = La connexion n’a pas pu être vérifiée
err-no-subject-title = La connexion n’a pas pu être vérifiée
err-internal-title = Un problème est survenu
err-bad-token-title = Ce jeton n’est pas valide
err-token-expired-title = Ce jeton a expiré
err-not-found-title = Page introuvable
err-inline-unavailable-title = Cette fenêtre de connexion ne peut pas être utilisée
err-timeout-title = Cela a pris trop de temps
err-too-long-title = Adresse trop longue
err-too-large-title = Requête trop grande
err-method-title = Non autorisé
err-busy-title = Trop de personnes se connectent
err-bad-request-title = Requête incorrecte

## Erreurs : messages
err-bad-room = Désolé, { $detail } Vérifiez le lien ou choisissez un autre nom.
err-bad-tenant = Désolé, cette adresse de réunion n’est pas valide. Vérifiez le lien.
err-bad-state = La réunion vous a envoyé ici avec un lien que la connexion ne peut pas utiliser. Revenez à la réunion et rouvrez-la depuis sa propre adresse.
err-login-expired = La connexion a pris trop de temps et a expiré. Rouvrez la réunion.
err-login-replayed = Cette connexion a déjà été utilisée. Rouvrez la réunion.
err-login-unknown = Ce navigateur ne connaît pas cette connexion. Elle a peut-être été commencée dans un autre navigateur ou déjà terminée, ou les cookies sont bloqués. Rouvrez la réunion.
err-bad-callback = La réponse du serveur de connexion était incomplète. Rouvrez la réunion.
err-login-cancelled = La connexion a été annulée, vous n’avez donc pas été envoyé à la réunion.
err-idp-error-unknown = La réponse du serveur de connexion n’est pas connue de ce service. Rouvrez la réunion.
err-code-refused = Le serveur de connexion n’accepte plus cette connexion (déjà utilisée ou trop lente). Rouvrez la réunion.
err-idp-error = Le serveur de connexion signale un problème avec cette connexion. Réessayez ; si cela se reproduit, donnez à votre administration l’identifiant de la requête ci-dessous.
err-denied = Vous ne pouvez pas entrer dans cette réunion avec ce compte.
err-denied-reason = Vous ne pouvez pas entrer dans cette réunion : { $reason }
err-denied-undecided = Les règles de cette réunion n’ont pas pu être vérifiées pour votre compte ; vous ne pouvez donc pas entrer pour l’instant. Votre administrateur trouvera ci-dessous ce qu’il faut changer.
err-denied-unverified-email = Les règles de cette réunion demandent une adresse e-mail vérifiée. Veuillez vérifier l’adresse de votre compte, puis ouvrir à nouveau la réunion.
err-level-too-low = Cette réunion demande une deuxième étape de connexion, par exemple un code d’une application d’authentification, et votre connexion ne l’a pas comprise. Réessayez et effectuez cette étape quand elle vous est demandée.
err-issuer-missing = La réponse de connexion n’indiquait pas quel serveur l’a envoyée. Rouvrez la réunion.
err-issuer-mismatch = La réponse de connexion ne venait pas du serveur attendu. Rouvrez la réunion.
err-idp-unavailable = Le serveur de connexion est injoignable pour le moment. Réessayez dans une minute.
err-exchange-refused = Le serveur de connexion a refusé de terminer la connexion. Réessayez ; si cela se reproduit, donnez à votre administration l’identifiant de la requête ci-dessous.
err-id-token-invalid = L’identité envoyée par le serveur de connexion n’a pas passé les vérifications de ce service. Réessayez ; si cela se reproduit, donnez à votre administration l’identifiant de la requête ci-dessous.
err-no-subject = Le serveur de connexion a envoyé une identité sans identifiant d’utilisateur.
err-internal = Un problème est survenu de notre côté. Réessayez ; si cela se reproduit, donnez à votre administration l’identifiant de la requête ci-dessous.
err-bad-token = Le jeton n’a pas pu être vérifié, ou il a expiré.
err-token-expired = Le jeton était valide mais sa durée est écoulée. Rouvrez la réunion via ce service pour en obtenir un nouveau.
err-no-token = Il n’y a pas de jeton à afficher. Ouvrez une réunion via ce service pour en obtenir un.
err-not-found = Il n’y a rien ici. Ouvrez plutôt le lien de votre réunion.
err-inline-unavailable = La réunion a ouvert la connexion dans une fenêtre séparée, ce qui n’est pas possible ici. Fermez cette fenêtre et ouvrez le lien de la réunion dans votre navigateur ; donnez à votre administration l’identifiant de la requête ci-dessous.
err-timeout = La requête a pris trop de temps et a été arrêtée. Réessayez.
err-too-long = L’adresse est plus longue que ce que ce service accepte. Vérifiez le lien.
err-too-large = La requête était plus grande que ce que ce service accepte.
err-method = Cette page ne peut pas être utilisée ainsi.
err-busy = Trop de personnes se connectent en ce moment. Réessayez dans quelques secondes.
err-bad-request = Ce service n’a pas compris la requête.

## Pourquoi un nom de salle a été refusé (après « Désolé, »)
room-empty = le nom de la salle est vide.
room-too-long = le nom de la salle est trop long.
room-forbidden = le nom de la salle contient « { $char } », interdit dans les noms de réunion.
room-invisible = le nom de la salle contient un caractère invisible.
room-slashlike = le nom de la salle contient un caractère qui ressemble à une barre oblique.
room-outer-space = le nom de la salle commence ou finit par une espace.
room-dot = le nom de la salle ne peut pas être « . » ni « .. ».
room-undecodable = le nom de la salle n’est pas un texte valide.
