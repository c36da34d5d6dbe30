# Signing in, and the refusals of the staff API. The space before « : »,
# « ; », « ? » and inside « » is a no-break space (U+00A0), as French
# typography wants.
auth-signed-out = Connectez-vous d’abord : votre session a pris fin ou vous n’êtes pas connecté.
auth-bad-token = Ce jeton d’API est inconnu ou a été révoqué. Demandez-en un nouveau à un administrateur.
auth-csrf-missing = Le jeton anti-falsification (en-tête X-CSRF-Token) manque. Rechargez la page et recommencez.
auth-csrf-wrong = Le jeton anti-falsification ne correspond pas à votre session. Rechargez la page et recommencez.
auth-bad-credentials = Adresse courriel ou mot de passe incorrect.
auth-forbidden = Votre rôle ne permet pas cette action. Demandez-la à un administrateur.
auth-too-many = Trop de tentatives de connexion manquées. Réessayez dans { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.
auth-cross-site = Requête refusée : elle vient d’une page d’un autre site. Ouvrez la console directement à son adresse.
auth-invalid-email = Indiquez une adresse courriel valide (par exemple nom@exemple.org).
auth-password-missing = Indiquez votre mot de passe.
auth-password-short = Le mot de passe doit compter au moins 12 caractères.
auth-invalid-role = Le rôle doit être « admin » ou « editor ».
auth-invalid-calendars = Les agendas doivent être une liste d’identifiants.
auth-bad-body = La requête doit être un objet JSON (Content-Type: application/json).
auth-account-exists = Un compte existe déjà pour cette adresse courriel.
auth-no-account = Aucun compte pour cette adresse courriel.
auth-remove-self = Vous ne pouvez pas supprimer votre propre compte.
auth-internal = Erreur interne du serveur. Réessayez ; si elle persiste, consultez le journal.

# The `user` and `token` commands.
cli-bad-calendar = « { $id } » n’est pas un identifiant d’agenda (lettres minuscules, chiffres et tirets).
cli-unknown-calendar = Aucun agenda « { $id } » dans la configuration : --calendar nomme un [[calendar]] de sources.toml ({ $count ->
    [0] aucun n’est configuré
   *[other] configurés : { $known }
}).
cli-password-prompt = Mot de passe (au moins { $min } caractères, sur une ligne) :
cli-password-unreadable = Impossible de lire le mot de passe sur l’entrée standard.
cli-password-missing = Aucun mot de passe reçu : donnez-le sur une ligne de l’entrée standard.
cli-password-short = Le mot de passe doit compter au moins { $min } caractères.
cli-bad-email = « { $email } » n’est pas une adresse courriel valide.
cli-account-exists = Un compte existe déjà pour { $email }.
cli-account-created = Compte { $email } créé (rôle { $role }).
cli-all-calendars = (tous les agendas)
cli-no-account = Aucun compte pour { $email }.
cli-account-removed = Compte { $email } supprimé ; ses sessions sont fermées.
cli-password-changed = Mot de passe de { $email } changé ; ses sessions sont fermées.
cli-bad-token-name = Le nom du jeton compte de 1 à 64 lettres sans accent, chiffres, « - », « _ » ou « . » (pas d’« @ » : ce n’est pas un compte).
cli-token-exists = Un jeton nommé { $name } existe déjà (même révoqué) : choisissez un autre nom.
cli-token-created = Jeton { $name } créé (rôle { $role }). Il est affiché une seule fois, sur la sortie standard : conservez-le maintenant.
cli-token-revoked-at = (révoqué le { $at })
cli-no-token = Aucun jeton actif nommé { $name }.
cli-token-revoked = Jeton { $name } révoqué.
