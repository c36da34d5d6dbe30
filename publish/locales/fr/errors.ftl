# The portal's error pages, and the sentences that explain to the staff why
# a source could not be read (explain.rs): what happened, then what to do.
# The space before « : », « ; » and « ? » is a no-break space (U+00A0), as
# French typography wants: the sign never starts a line.

## Error pages.
error-bad-request-title = Requête invalide
error-bad-parameter = Le paramètre { $parameter } de l’adresse de cette page n’a pas pu être compris.
# What a parameter of the portal's address expects, by its name.
error-parameter-hint = { $parameter ->
    [from] Il attend une date, comme 2026-12-05 (ou une date et une heure, comme 2026-12-05T20:00).
    [to] Il attend une date postérieure au début de la recherche, comme 2026-12-31.
    [month] Il attend un mois, comme 2026-12.
    [view] Il attend list (la liste) ou month (le mois).
    [lang] Il attend une des langues de l’agenda : { $languages }.
    [limit] Il attend un nombre entier de 1 à { $max }.
    [near] Il attend une latitude et une longitude séparées par une virgule, comme 45.56,-73.71.
    [radius_km] Il attend une distance en kilomètres, plus grande que 0, avec near.
    [bbox] Il attend quatre nombres : longitude et latitude minimales, puis maximales.
    [cursor] Ce lien vers la suite des résultats n’est plus valable : reprenez la recherche depuis le début.
   *[other] Vérifiez sa valeur dans l’adresse de la page.
}
error-detail = Détail technique
error-back = Retour à l’agenda
error-event-not-found-title = Événement introuvable
error-event-not-found = Aucun événement ne porte l’identifiant { $id }. Il a peut-être été retiré par son organisateur.
error-all-events = Tous les événements
error-page-not-found-title = Page introuvable
error-page-not-found = Il n’y a pas de page à l’adresse { $path } : le lien est peut-être ancien ou mal copié.
error-server-title = Erreur du serveur
error-server = L’agenda ne peut pas être lu pour le moment. Réessayez dans quelques minutes.

## Why a source could not be read, one sentence per kind of failure.
source-error-invalid-url = L’adresse de cette source n’est pas une adresse web valide (http ou https) : corrigez-la dans la fiche du membre.
source-error-timeout = Le site n’a pas répondu à temps : il est peut-être surchargé ou en panne. La lecture sera refaite à l’heure prévue ; si cela dure plusieurs jours, prévenez le membre.
source-error-tls = La connexion sécurisée (HTTPS) au site a échoué : son certificat est sans doute expiré ou mal installé. Prévenez le membre ; l’adresse elle-même n’est pas en cause.
source-error-dns = Le nom de domaine du site est introuvable : il a peut-être expiré, ou l’adresse est mal orthographiée. Vérifiez-la, puis demandez au membre si son site a changé de domaine.
source-error-connect = Le serveur du site ne répond pas : il est sans doute hors ligne. La lecture sera refaite à l’heure prévue ; si cela dure, vérifiez que le site s’ouvre dans un navigateur.
source-error-robots = Le site interdit aux robots de lire cette page (fichier robots.txt) : demandez au membre d’autoriser babillard, ou de fournir l’adresse de son calendrier (ICS) ou de son flux RSS.
source-error-private = Cette adresse mène à un réseau privé (intranet, machine locale), que babillard refuse de lire par sécurité : utilisez l’adresse publique du site.
source-error-redirects = Le site renvoie d’une adresse à l’autre sans aboutir : ouvrez l’adresse dans un navigateur, puis copiez l’adresse finale dans la fiche du membre.
source-error-refused = La lecture a été bloquée par une règle de sécurité de babillard : vérifiez que l’adresse est publique et qu’elle s’ouvre dans un navigateur.
source-error-not-found = Le site a répondu 404 (page introuvable) : l’adresse a sans doute changé ; ouvrez-la dans un navigateur et corrigez l’URL du membre.
source-error-forbidden = Le site a refusé l’accès (erreur { $code }) : la page demande une connexion ou bloque les robots. Demandez au membre une adresse publique, par exemple celle de son calendrier (ICS).
source-error-gone = Le site a répondu 410 : la page a été supprimée pour de bon. Demandez au membre sa nouvelle adresse, ou mettez la source en pause.
source-error-rate-limited = Le site a répondu 429 : il reçoit trop de demandes et demande d’attendre. Espacez les lectures de cette source ; elle sera relue à l’heure prévue.
source-error-client = { $code ->
    [0] Le site a refusé la demande
   *[other] Le site a refusé la demande (erreur { $code })
    } : ouvrez l’adresse dans un navigateur pour voir ce qu’elle affiche, puis corrigez l’URL du membre.
source-error-server = { $code ->
    [0] Le serveur du site est en panne
   *[other] Le serveur du site est en panne (erreur { $code })
    } : le problème est chez le membre, pas dans l’adresse. La lecture sera refaite à l’heure prévue ; si cela dure, prévenez le membre.
source-error-too-large = Le document est trop volumineux pour être lu : indiquez plutôt l’adresse d’un calendrier ou d’un flux plus léger, par exemple celui des seuls événements à venir.
source-error-io = Le fichier local de cette source est absent ou illisible : vérifiez son chemin et ses droits d’accès sur le serveur.
source-error-http-client = babillard n’a pas pu préparer ses connexions web (certificats du système manquants ?) : c’est un problème d’installation du serveur, pas de la source ; prévenez la personne qui l’administre.
source-error-parse = Le document a été lu, mais il est mal formé et ses événements n’ont pas pu en être tirés : prévenez le membre ; un validateur de calendrier ou de flux lui montrera l’erreur.
source-error-wrong-kind = L’adresse ne donne pas le type de document attendu (par exemple une page web au lieu d’un calendrier ICS) : corrigez le type de la source, ou son adresse.
source-error-unknown-kind = babillard ne trouve à cette adresse ni calendrier, ni flux, ni événements dans la page : choisissez le type de la source à la main, ou demandez au membre l’adresse de son calendrier (ICS) ou de son flux RSS.
source-error-internal = Une panne de babillard a interrompu la lecture : le membre n’y est pour rien. Relancez la lecture ; si la panne revient, signalez-la avec le détail technique.
source-error-other = La lecture de cette source a échoué : le détail technique dit pourquoi. Ouvrez l’adresse dans un navigateur pour vérifier qu’elle fonctionne.
