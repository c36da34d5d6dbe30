# The staff console (/admin). French is the reference language.

## Frame
console-name = Console
console-skip = Aller au contenu
console-language = Langue
console-to-portal = Voir l’agenda public
console-back = Retour
console-logout = Se déconnecter
console-role-admin = administration
console-role-editor = édition
console-nav-label = Écrans de la console
console-nav-events = Événements
console-nav-new-event = Saisir un événement
console-nav-sources = Sources
console-nav-venues = Lieux
console-nav-categories = Catégories
console-nav-audit = Journal
console-nav-accounts = Comptes

## Errors
console-forbidden-title = Accès réservé
console-forbidden-text = Cet écran est réservé aux administrateurs. Demandez à un administrateur de le faire pour vous.
console-csrf-title = Formulaire expiré
console-csrf-text = Ce formulaire n’est plus valide (la session a changé ou la page est trop ancienne). Rechargez la page et recommencez.
console-internal-title = Erreur interne
console-internal-text = Quelque chose a échoué de notre côté. Réessayez dans un instant ; si le problème persiste, prévenez la personne qui administre babillard.
console-error-title = Impossible de faire ce changement
console-error-gone = Cet élément n’existe plus : il a peut-être été fusionné, séparé ou retiré par sa source. Rechargez la page.
console-error-invalid-field = La valeur du champ « { $field } » n’est pas acceptée.
console-error-conflict = Ce changement ne peut plus être fait dans l’état actuel (il a peut-être déjà été annulé).
console-error-not-found = Introuvable : { $what }.
console-error-invalid = { $field } : { $message }
console-error-refused = Refusé : { $message }
console-error-failed = L’opération a échoué : { $message }
console-error-check = La configuration refuserait cette source :
console-invalid-required = ce champ est obligatoire.
console-invalid-date = cette date ou cette heure n’est pas valide.
console-invalid-end-before-start = la fin doit venir après le début.
console-invalid-url = donnez une adresse complète qui commence par https:// ou http://.
console-invalid-choice = ce choix n’existe pas.
console-invalid-count = donnez un nombre entre 1 et 500.
console-invalid-recurrence-end = dites jusqu’à quand l’événement se répète (une date de fin ou un nombre de fois).
console-sources-unavailable = La gestion des sources n’est pas disponible dans ce processus. Lancez babillard avec « run » ou « serve ».

## Login
console-login-title = Connexion
console-login-email = Adresse courriel
console-login-password = Mot de passe
console-login-go = Se connecter
console-login-help = Pas de compte ? Un administrateur peut vous en créer un.
console-login-needed = Votre session a pris fin : connectez-vous de nouveau.
console-login-bad = Adresse courriel ou mot de passe incorrect.
console-login-too-many = Trop de tentatives de connexion. Réessayez dans { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.

## Messages after an action
console-done-unchanged = Rien n’a changé : aucun champ n’était différent.
console-done-saved = Modifications enregistrées. Les champs modifiés sont verrouillés : les sources ne les changeront plus.
console-done-unlocked = Champ rendu aux sources.
console-done-hidden = Événement masqué : il n’apparaît plus dans l’agenda public, les fils ni le widget.
console-done-unhidden = Événement de nouveau visible.
console-done-merged = Événements fusionnés.
console-done-split = Fiche séparée : elle forme maintenant son propre événement.
console-done-manual-saved = Événement enregistré ; il sera publié dans un instant.
console-done-manual-deleted = Événement saisi supprimé.
console-done-run = Lecture lancée.
console-done-paused = Source mise en pause.
console-done-resumed = Source relancée.
console-done-source-added = Source ajoutée et lue.
console-done-mapped = Mot associé à la catégorie.
console-done-undone = Changement annulé.
console-done-account-added = Compte créé.
console-done-account-removed = Compte supprimé.
console-done-logged-out = Vous êtes déconnecté.

## Fields
console-field-title = Titre
console-field-description = Description
console-field-start = Début
console-field-end = Fin
console-field-all-day = Toute la journée
console-field-status = Statut
console-field-url = Lien
console-field-image = Image (adresse)
console-field-categories = Catégories
console-field-venue = Lieu
console-status-scheduled = Prévu
console-status-cancelled = Annulé
console-status-postponed = Reporté
console-yes = Oui
console-no = Non
console-all = Tous
console-choose = Choisir…
console-all-day-short = toute la journée
console-start-date = Date de début
console-start-time = Heure de début
console-end-date = Date de fin
console-end-time = Heure de fin
console-times-in = Heures de { $zone }.
console-venue-none = Aucun lieu

## Events
console-events-title = Événements
console-search-q = Rechercher
console-search-from = Du
console-search-to = Au
console-search-go = Chercher
console-search-bad = Le filtre « { $parameter } » n’est pas compris : voici les événements à venir.
console-source = Source
console-events-found = { $count ->
    [0] Aucun événement
    [one] { $count } événement
   *[other] { $count } événements
}
console-events-none = Aucun événement ne correspond à cette recherche.
console-next-page = Événements suivants →
console-col-when = Quand
console-col-sources = Sources
console-col-state = État
console-col-events = Événements
console-col-actions = Actions
console-col-records = Fiches
console-col-field = Champ
console-col-value = Valeur publiée
console-col-from = Vient de
console-locked = Verrouillé
console-hidden = Masqué
console-hidden-title = Événements masqués
console-hidden-help = Ils n’apparaissent nulle part en public ; les sources peuvent continuer à les publier.
console-hidden-none = Aucun événement masqué.
console-hidden-explain = Cet événement n’apparaît pas en public.
console-unhide = Rendre visible
console-hide = Masquer
console-hide-confirm = Masquer cet événement du public ?
console-hide-help = Un événement masqué disparaît de l’agenda, des fils, des pages et du widget ; les abonnés le voient annulé puis retiré.
console-whole-series = toute la série
console-visibility = Visibilité

## One event
console-no-event-title = Événement introuvable
console-no-event-text = Aucun événement ne porte l’identifiant { $id }.
console-event-id = Identifiant
console-series-id = série
console-public-page = Voir la page publique
console-fields-title = D’où vient chaque champ
console-fields-help = Pour chaque champ publié : la source dont la fiche donne cette valeur, ou une personne qui l’a fixée.
console-set-by-person = Fixé par une personne
console-unlock = Rendre aux sources
console-from-merge = Assemblé à partir de plusieurs fiches
console-records-title = { $count ->
    [one] La fiche de la source
   *[other] Les { $count } fiches des sources, côte à côte
}
console-records-help = Ce que chaque source dit de cet événement. Les valeurs identiques à la valeur publiée sont marquées d’un trait vert.
console-record-uid = Fiche
console-record-link = Page de la source
console-same-as-public = identique à la valeur publiée
console-edit-title = Corriger
console-edit-help = Seuls les champs que vous changez sont enregistrés, et ils sont verrouillés : les prochaines lectures des sources ne les changeront pas tant que vous ne les rendez pas aux sources.
console-save-lock = Enregistrer et verrouiller
console-venue-seen = lieu vu dans les sources
console-curate-title = Masquer, fusionner, séparer
console-merge-title = Fusionner avec…
console-merge-ids = Identifiants ou adresses des autres événements
console-merge-help = Collez un ou plusieurs identifiants ou adresses de pages d’événements, séparés par des espaces ou des virgules. La fusion tient aux lectures suivantes.
console-merge = Fusionner
console-merge-needs-ids = Donnez au moins un autre événement à fusionner avec celui-ci.
console-split-title = Séparer une source
console-split-source = Source à séparer
console-split-help = La fiche de cette source devient son propre événement, maintenant et aux lectures suivantes.
console-split-confirm = Séparer la fiche de cette source ?
console-split = Séparer

## Hand-entered events
console-manual-title = Saisir un événement
console-manual-help = Pour un membre qui n’a pas de fil : l’événement est publié comme ceux des sources, et dédoublonné avec eux.
console-manual-in = En { $language }
console-lang-fr = français
console-lang-en = anglais
console-manual-when = Quand
console-recurrence = Répétition
console-recurrence-none = Une seule fois
console-recurrence-weekly = Chaque semaine
console-recurrence-monthly = Chaque mois
console-recurrence-dates = À des dates précises
console-recurrence-until = Jusqu’au
console-recurrence-count = Nombre de fois
console-recurrence-dates-list = Dates
console-recurrence-dates-help = Une date par ligne, au format AAAA-MM-JJ ; l’heure est celle du début.
console-manual-save = Enregistrer l’événement
console-manual-edit = Modifier cet événement saisi
console-manual-delete = Supprimer cet événement saisi
console-manual-delete-confirm = Supprimer définitivement cet événement saisi à la main ?
console-manual-saved = Événements saisis
console-manual-none = Aucun événement saisi pour l’instant.
console-manual-by = par { $who }, le { $date }

## Sources
console-sources-title = Sources
console-sources-summary = { $total } sources : { $ok } en ordre, { $failing } en erreur.
console-source-ok = ● En ordre
console-source-warning = ▲ À vérifier
console-source-error = ▲ Erreur
console-source-never = ○ Jamais lue
console-last-success = Dernier succès
console-last-error = Dernière erreur
console-next-run = Prochaine lecture
console-warnings = { $count ->
    [one] { $count } avertissement
   *[other] { $count } avertissements
}
console-run-now = Lire maintenant
console-pause = Mettre en pause
console-resume = Relancer
console-add-member = Ajouter un membre
console-add-help = Collez l’adresse du calendrier, du fil ou de la page d’agenda du membre : babillard vous montre ce qu’il y trouve avant d’enregistrer quoi que ce soit.
console-source-url = Adresse
console-source-url-help = Par exemple https://exemple.org/agenda ou l’adresse d’un fichier .ics.
console-preview = Voir ce qu’on y trouve
console-preview-busy = Lecture de l’adresse…
console-preview-found = { $count ->
    [0] Aucun événement trouvé
    [one] { $count } événement trouvé
   *[other] { $count } événements trouvés
}
console-preview-kind = Type de source reconnu : { $kind }
console-preview-events = Premiers événements
console-preview-more = … et { $count } autres.
console-add-save-title = Enregistrer la source
console-source-name = Nom
console-source-id = Identifiant
console-source-id-help = Lettres minuscules, chiffres et tirets ; il ne change plus ensuite.
console-source-lang = Langue des textes
console-source-priority = Priorité
console-source-venue = Lieu par défaut
console-source-schedule = Horaire de lecture (cron)
console-source-schedule-help = Laissez vide pour l’horaire par défaut. Exemple : « 0 * * * * » lit la source toutes les heures.
console-add-save = Enregistrer et lire maintenant

## Venues and categories
console-venues-title = Lieux
console-venues-help = Le répertoire des lieux, puis les lieux que les sources nomment sans qu’il les connaisse, avec le nombre d’événements à venir.
console-venue-address = Adresse
console-venue-coordinates = Coordonnées
console-venue-kind = Origine
console-venue-gazetteer = répertoire
console-categories-title = Catégories
console-taxonomy = Les catégories
console-category = Catégorie
console-category-slug = Code
console-unmapped-title = Mots sans catégorie
console-unmapped-help = Les mots que les sources donnent comme catégories et qui ne correspondent à aucune. Associez-les à une catégorie : les prochaines lectures les classeront.
console-unmapped-none = Tous les mots des sources correspondent à une catégorie.
console-word = Mot
console-map-to = Associer à
console-map-label = Catégorie pour « { $word } »
console-map = Associer

## Audit
console-audit-title = Journal des changements
console-audit-help = Chaque changement fait par une personne, du plus récent au plus ancien. « Annuler » remet ce qu’il y avait avant.
console-audit-none = Aucun changement pour l’instant.
console-audit-at = Quand
console-audit-who = Qui
console-audit-action = Action
console-audit-target = Objet
console-audit-before = Avant
console-audit-after = Après
console-undo = Annuler
console-undo-confirm = Annuler ce changement ?
console-undone-by = annulé (n° { $id })
console-older = Changements plus anciens →

## Accounts
console-accounts-title = Comptes
console-account-email = Adresse courriel
console-account-role = Rôle
console-account-since = Depuis
console-account-you = vous
console-account-remove = Supprimer
console-account-remove-confirm = Supprimer le compte { $email } ? Ses sessions prennent fin aussitôt.
console-account-remove-self = Vous ne pouvez pas supprimer votre propre compte.
console-account-add = Ajouter un compte
console-account-password-help = Au moins { $count } caractères.
console-account-save = Créer le compte
console-account-bad-email = Cette adresse courriel n’est pas valide.
console-account-exists = Cette adresse a déjà un compte.

# Venues: edit and merge
console-venue-actions = Corriger
console-venue-edit = Modifier ce lieu
console-venue-add = Ajouter au répertoire
console-venue-city = Ville
console-venue-lat = Latitude
console-venue-lon = Longitude
console-venue-save = Enregistrer le lieu
console-venue-merge-into = Fusionner dans
console-venue-merge = Fusionner
console-venue-unknown = Ce lieu n’existe plus.
console-invalid-number = un nombre est attendu
console-done-venue-saved = Lieu enregistré ; les sources sont relues.
console-done-venue-merged = Lieux fusionnés : le nom est appris comme autre nom ; les sources sont relues.
console-source-paused = ‖ En pause
console-source-new-schedule = Nouvel horaire (cron)
console-source-reschedule = Changer
console-done-rescheduled = Horaire changé.
console-source-builtin = source intégrée
