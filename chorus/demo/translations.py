"""The demo petition in French, German and Spanish: the campaign's own words in each
language (docs/languages.md), so /fr/, /de/ and /es/ show a translated petition."""

from petitions.models import Petition, PetitionTranslation
from petitions.services import petition_translation_save

TRANSLATIONS = {
    "fr": {
        "title": "Stop à l’aspiration de nos photos pour la reconnaissance faciale",
        "target": "PhotoCircle, le réseau social",
        "summary": "Une entreprise de reconnaissance faciale copie nos photos sur PhotoCircle. "
        "Demandez au réseau d’y mettre fin.",
        "story": """\
Chaque jour, des millions d’entre nous publient des photos de leur famille, de
leurs amis et d’eux-mêmes. Nous les partageons avec des gens que nous connaissons.
Nous n’avons jamais accepté de les partager avec une entreprise qui fabrique des
outils de reconnaissance faciale.

Des journalistes ont découvert qu’une telle entreprise a copié des milliards de
photos sur les réseaux sociaux, sans rien demander à personne, pour en faire un
moteur de recherche de visages. Il suffit d’y déposer la photo d’un inconnu pour
trouver d’autres photos de cette personne, et souvent son nom.

**Le réseau social a la clé.** Ses propres règles interdisent l’aspiration de
données, mais des règles sur le papier n’arrêtent pas les aspirateurs. Il peut
bloquer l’aspiration, exiger que l’entreprise efface les photos prises et nous
dire, à nous ses utilisateurs, ce qu’il est advenu de nos images.

Nos visages ne sont pas une matière première. Signez maintenant et demandez au
réseau de mettre fin à l’aspiration de nos photos.
""",
    },
    "de": {
        "title": "Stoppt das Abgreifen unserer Fotos für die Gesichtserkennung",
        "target": "PhotoCircle, das soziale Netzwerk",
        "summary": "Eine Firma für Gesichtserkennung kopiert unsere Fotos von PhotoCircle. "
        "Fordern Sie das Netzwerk auf, das zu beenden.",
        "story": """\
Jeden Tag teilen Millionen von uns Fotos ihrer Familie, ihrer Freunde und von
sich selbst. Wir teilen sie mit Menschen, die wir kennen. Wir haben nie
zugestimmt, sie mit einer Firma zu teilen, die Werkzeuge zur Gesichtserkennung
baut.

Recherchen haben gezeigt, dass eine solche Firma Milliarden Fotos aus sozialen
Netzwerken kopiert hat, ohne jemanden zu fragen, und daraus eine Suchmaschine für
Gesichter gebaut hat. Man lädt das Foto einer fremden Person hoch und findet
weitere Fotos von ihr, oft auch ihren Namen.

**Das soziale Netzwerk hat den Schlüssel in der Hand.** Seine eigenen Regeln
verbieten das Abgreifen, aber Regeln auf dem Papier halten niemanden auf. Es kann
das Abgreifen sperren, von der Firma verlangen, die kopierten Fotos zu löschen,
und uns, seinen Nutzerinnen und Nutzern, sagen, was mit unseren Bildern
geschehen ist.

Unsere Gesichter sind kein Rohstoff. Unterschreiben Sie jetzt und fordern Sie das
Netzwerk auf, das Abgreifen unserer Fotos zu stoppen.
""",
    },
    "es": {
        "title": "Que dejen de copiar nuestras fotos para el reconocimiento facial",
        "target": "PhotoCircle, la red social",
        "summary": "Una empresa de reconocimiento facial está copiando nuestras fotos de "
        "PhotoCircle. Pide a la red que lo impida.",
        "story": """\
Cada día, millones de personas publicamos fotos de nuestra familia, de nuestras
amistades y de nosotras mismas. Las compartimos con gente que conocemos. Nunca
aceptamos compartirlas con una empresa que fabrica herramientas de
reconocimiento facial.

Varios periodistas descubrieron que una de esas empresas copió miles de millones
de fotos de las redes sociales, sin pedir permiso a nadie, y las usó para crear un
buscador de caras. Subes la foto de una persona desconocida y encuentra otras
fotos suyas, y a menudo su nombre.

**La red social tiene la llave.** Sus propias normas prohíben copiar datos de
forma masiva, pero las normas sobre el papel no detienen a nadie. Puede bloquear
la copia, exigir a la empresa que borre las fotos que se llevó y contarnos, a
quienes la usamos, qué ha pasado con nuestras imágenes.

Nuestras caras no son materia prima. Firma ahora y pide a la red que deje de
permitir que copien nuestras fotos.
""",
    },
}


def demo_translations_ensure(*, petition: Petition, by) -> None:
    """Each language's text, once: a second run leaves what is there (and any edit)."""
    for language, words in TRANSLATIONS.items():
        if not PetitionTranslation.objects.filter(petition=petition, language=language).exists():
            petition_translation_save(petition=petition, language=language, data=words, by=by)
