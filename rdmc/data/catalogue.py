"""The curated photographs of the embedded world: where each comes from, its license, its split.

Every image is a real photograph under a license that allows redistribution; the
entry names the package and the file inside it, the license and credit as the
package's copyright file states them, and what a detector or segmenter should
find. Python packages (scikit-image, scikit-learn, matplotlib) ship 14 of them;
Debian packages fetched with `apt-get download` ship the rest, each pinned by the
SHA-256 of the file inside the package. darknet's sample photos and OpenCV's
vtest.avi are held out for independent evaluation and must never appear here.

Splits never share a source photograph: crops of one photo carry one ``group`` and
stay in one split. The test split holds the scenes with people and COCO objects.
"""

from __future__ import annotations

from dataclasses import dataclass

LEFT_HALF = (0.0, 0.0, 0.5, 1.0)
RIGHT_HALF = (0.5, 0.0, 1.0, 1.0)


@dataclass(frozen=True)
class SamplePhoto:
    name: str
    split: str
    package: str  # the PyPI distribution or Debian package that ships the file
    file: str  # the file inside that package
    license: str
    credit: str
    contents: str  # what a detector or segmenter should find
    sha256: str | None = None  # of the file inside a Debian package (PyPI files vary by version)
    group: str | None = None  # crops of one photo share a group, which stays in one split
    crop: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 as fractions

    @property
    def source(self) -> str:
        """The source photograph: a split never shares one with another split."""
        return self.group or self.name

    @property
    def from_debian(self) -> bool:
        return self.sha256 is not None


_PD = "public domain"
_CC0 = "CC0 1.0"
_CCBY = "CC BY 2.0"
_CCBY4 = "CC BY 4.0"
_CCBYSA3 = "CC BY-SA 3.0"
_CCBYSA4 = "CC BY-SA 4.0"
_GPL = "GPL-2+"
_GFDL = "GFDL-1.2+"
_OPENCV = "Apache-2.0 AND BSD-3-Clause"

_OPENCV_DATA = ("opencv-doc", "usr/share/doc/opencv-doc/examples/data/")
_LOMIRI_16 = ("lomiri-wallpapers-16.04", "usr/share/backgrounds/")
_LOMIRI_20 = ("lomiri-wallpapers-20.04", "usr/share/backgrounds/")
_MATE_NATURE = ("mate-backgrounds", "usr/share/backgrounds/mate/nature/")
_PLASMA = ("plasma-workspace-wallpapers", "usr/share/wallpapers/")
_PALAPELI = ("palapeli-data", "usr/share/palapeli/collection/")
_SCRATCH = ("scratch", "usr/share/scratch/Media/Backgrounds/")


def _deb(
    name: str,
    split: str,
    where: tuple[str, str],
    file: str,
    sha256: str,
    license: str,
    credit: str,
    contents: str,
    group: str | None = None,
    crop: tuple[float, float, float, float] | None = None,
) -> SamplePhoto:
    package, folder = where
    return SamplePhoto(name, split, package, folder + file, license, credit, contents, sha256,
                       group, crop)  # fmt: skip


PHOTOS: tuple[SamplePhoto, ...] = (
    # Python packages
    # test: people and COCO objects, for the downstream detector and person segmenter
    SamplePhoto("astronaut", "test", "scikit-image", "astronaut.png", _PD,
                "NASA (Eileen Collins)", "person, flag"),
    SamplePhoto("grace_hopper", "test", "matplotlib", "grace_hopper.jpg", _PD,
                "U.S. Navy (Grace Hopper)", "person, tie"),
    SamplePhoto("cameraman", "test", "scikit-image", "camera.png", _CC0,
                "Lav Varshney", "person, camera on a tripod (grayscale)"),
    SamplePhoto("chelsea", "test", "scikit-image", "chelsea.png", _CC0,
                "Stefan van der Walt", "cat"),
    SamplePhoto("coffee", "test", "scikit-image", "coffee.png", _CC0,
                "Rachel Michetti", "cup, spoon, dining table"),
    # val
    SamplePhoto("rocket", "val", "scikit-image", "rocket.jpg", _PD,
                "SpaceX", "rocket launch, sky"),
    SamplePhoto("china", "val", "scikit-learn", "china.jpg", _CCBY,
                "danielbuechele (Flickr)", "temple, trees"),
    # train
    SamplePhoto("flower", "train", "scikit-learn", "flower.jpg", _CCBY,
                "vultilion (Flickr)", "flower"),
    SamplePhoto("clock", "train", "scikit-image", "clock_motion.png", _PD,
                "Stefan van der Walt", "wall clock (grayscale, motion blur)"),
    SamplePhoto("coins", "train", "scikit-image", "coins.png", _PD,
                "Brooklyn Museum", "coins (grayscale)"),
    SamplePhoto("brick", "train", "scikit-image", "brick.png", _CC0,
                "CC0Textures", "brick wall (grayscale)"),
    SamplePhoto("grass", "train", "scikit-image", "grass.png", _CC0,
                "linolafett (DeviantArt)", "grass (grayscale)"),
    SamplePhoto("gravel", "train", "scikit-image", "gravel.png", _CC0,
                "CC0Textures", "gravel (grayscale)"),
    SamplePhoto("hubble", "train", "scikit-image", "hubble_deep_field.jpg", _PD,
                "NASA", "galaxies"),
    # Debian packages (test, val, train): OpenCV docs, Lomiri, MATE and Plasma wallpapers,
    # Palapeli puzzles, Scratch 1.4 backgrounds (480 x 360)
    _deb('basketball1', 'test', _OPENCV_DATA, 'basketball1.png',
         'ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6',
         _OPENCV, 'OpenCV contributors', 'two people with a ball (grayscale)', group='basketball'),
    _deb('basketball2', 'test', _OPENCV_DATA, 'basketball2.png',
         'b3047772e0dc6c9d83c26f64894ca1a897f799f855c5574ac24b2ef934c2978e',
         _OPENCV, 'OpenCV contributors', 'two people with a ball, next frame (grayscale)', group='basketball'),
    _deb('building', 'test', _OPENCV_DATA, 'building.jpg',
         '742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07',
         _OPENCV, 'OpenCV contributors', 'hotel front, cars, a person'),
    _deb('fruits', 'test', _OPENCV_DATA, 'fruits.jpg',
         '9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1',
         _OPENCV, 'OpenCV contributors', 'oranges, lemons, kiwi'),
    _deb('messi', 'test', _OPENCV_DATA, 'messi5.jpg',
         '1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9',
         _OPENCV, 'OpenCV contributors', 'football player, sports ball'),
    _deb('leuven_a', 'test', _OPENCV_DATA, 'leuvenA.jpg',
         'b2977cdbd9fb3f94dadd6f76cf586d145676deb8a22b5f0f42149d21c058c09f',
         _OPENCV, 'OpenCV contributors', 'street, houses, bicycle', group='leuven'),
    _deb('leuven_b', 'test', _OPENCV_DATA, 'leuvenB.jpg',
         '5bb41a60038a2baa5d8ea0eaba55e6e3050d721b254cf79d8d8998d7e49d664a',
         _OPENCV, 'OpenCV contributors', 'street, houses, bicycle (another view)', group='leuven'),
    _deb('chicky', 'test', _OPENCV_DATA, 'chicky_512.png',
         '4d2cf040de084fd3f34d5e3f96f1251faaa4787c1ac3b548fec5809a0d01854e',
         _OPENCV, 'OpenCV contributors', 'dog'),
    _deb('squirrel', 'test', _OPENCV_DATA, 'squirrel_cls.jpg',
         '20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b',
         _OPENCV, 'OpenCV contributors', 'squirrel on a branch'),
    _deb('apple', 'test', _OPENCV_DATA, 'apple.jpg',
         'e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd',
         _OPENCV, 'OpenCV contributors', 'apple'),
    _deb('orange', 'test', _OPENCV_DATA, 'orange.jpg',
         '152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079',
         _OPENCV, 'OpenCV contributors', 'orange'),
    _deb('baboon', 'test', _OPENCV_DATA, 'baboon.jpg',
         '1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f',
         _OPENCV, 'OpenCV contributors', 'mandrill face'),
    _deb('smarties', 'test', _OPENCV_DATA, 'smarties.png',
         'ad3f751c053fdcf432687c1bc0e56a61a9119d2bb2ae29365f8aa6534fc77417',
         _OPENCV, 'OpenCV contributors', 'sweets on a table'),
    _deb('stuff', 'test', _OPENCV_DATA, 'stuff.jpg',
         '21cd00afbdd0727f445dd91c0a09633e6345ed5b05a3d2355453a1f3c314c6c5',
         _OPENCV, 'OpenCV contributors', 'pen, lighter, cap on a desk'),
    _deb('aloe', 'test', _OPENCV_DATA, 'aloeR.jpg',
         '9b23100df31a846bc6e6a6545563b2b4120b948c9835c7d36cde00af77f4503e',
         _OPENCV, 'OpenCV contributors (Middlebury stereo)', 'aloe in a pot (vase)'),
    _deb('wine', 'test', _LOMIRI_16, 'Wine_by_Jakkub_Mede.jpg',
         'd2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74',
         _CCBY4, 'Jakub Mede', 'bottle, wine glass, drum, room'),
    _deb('friends', 'test', _LOMIRI_16, 'friends_by_Aitzol_Berasategi.jpg',
         'cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d',
         _CCBY4, 'Aitzol Berasategi', 'two dogs at a door'),
    _deb('picos', 'test', _LOMIRI_16, 'picosdeeuropa_by_Aitzol_Berasategi.jpg',
         '414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a',
         _CCBY4, 'Aitzol Berasategi', 'mountain path, sheep'),
    _deb('cups', 'test', _PLASMA, 'ColorfulCups/contents/images/2560x1600.jpg',
         '6e0f3a72feb5a4a9fec191b77e34874c3c69e2d93040deb3f07773e73385023d',
         _GPL, 'Dmitri Popov (KDE)', 'plastic cups'),
    _deb('boats_left', 'test', _PLASMA, 'EveningGlow/contents/images/2560x1600.jpg',
         '586682dcb362b9f620068f10138f87d0d3649939aef238adc5807cb951976a7a',
         _GPL, 'Ian Hex (KDE)', 'boats on a lake shore (left half)', group='boats', crop=LEFT_HALF),
    _deb('boats_right', 'test', _PLASMA, 'EveningGlow/contents/images/2560x1600.jpg',
         '586682dcb362b9f620068f10138f87d0d3649939aef238adc5807cb951976a7a',
         _GPL, 'Ian Hex (KDE)', 'boats on a lake shore (right half)', group='boats', crop=RIGHT_HALF),
    _deb('citrus', 'test', _PALAPELI, 'citrus-fruits.jpg',
         '0cbd7154a14789803167c86705130d0358875198231269df168ea26224e70848',
         _PD, 'US Department of Agriculture', 'oranges, lemons, limes'),
    _deb('kitchen', 'test', _SCRATCH, 'Indoors/kitchen.jpg',
         'b50e1cdc7cac868af8f07e85f1c2e10b40c351337ca5ab8e27577600d5c8b5b4',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'kitchen: oven, sink, dishwasher'),
    _deb('home', 'val', _OPENCV_DATA, 'home.jpg',
         '23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2',
         _OPENCV, 'OpenCV contributors', 'towered building, sky'),
    _deb('butterfly', 'val', _OPENCV_DATA, 'butterfly.jpg',
         '34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8',
         _OPENCV, 'OpenCV contributors', 'butterfly on a leaf'),
    _deb('bridge', 'val', _LOMIRI_16, 'Bridge_by_Sander_Klootwijk.jpg',
         'bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050',
         _CCBYSA4, 'Sander Klootwijk', 'bridge cables, sky'),
    _deb('aitzgorri', 'val', _LOMIRI_16, 'aitzgorri_by_Aitzol_Berasategi.jpg',
         '66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36',
         _CCBY4, 'Aitzol Berasategi', 'mountains, meadow, trees'),
    _deb('ladybird', 'val', _MATE_NATURE, 'LadyBird.jpg',
         'e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d',
         _GPL, 'Charles Barbin', 'ladybird, flowers'),
    _deb('storm', 'val', _MATE_NATURE, 'Storm.jpg',
         '77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957',
         _GPL, 'Sergey Nazarov', 'storm clouds, road'),
    _deb('kite', 'val', _PLASMA, 'Kite/contents/images/2560x1600.jpg',
         'bdca288ce296a981e80659c021cf707caddc702c0c8d4247e60bd618476d47f8',
         _GPL, 'Risto Saukonpaa (KDE)', 'kite in the sky'),
    _deb('summer_night', 'val', _PLASMA, 'summer_1am/contents/images/2560x1600.jpg',
         'c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8',
         _GPL, 'Risto Saukonpaa (KDE)', 'lake at dusk'),
    _deb('roebling_bridge', 'val', _PALAPELI, 'cincinnati-bridge.jpg',
         '09772d09318b34a5c5edd58ee86ff462bcd2907006f31cc8e0704310f8e9ab60',
         _PD, 'Derek Jensen', 'suspension bridge, river'),
    _deb('cinema', 'val', _SCRATCH, 'Indoors/the-movies-inside.jpg',
         'f567d8e0b693effb6c7e749ffc488acd8dc38641d0250daea11d09ca58588ae5',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'cinema lobby, posters, a person'),
    _deb('aero_1', 'train', _OPENCV_DATA, 'aero1.jpg',
         'd9a69191f6e3642ea361bc3c62e677b2f40fe6534b78da540f4155e0734b59ef',
         _OPENCV, 'OpenCV contributors', 'aerial view of a town', group='aero'),
    _deb('aero_3', 'train', _OPENCV_DATA, 'aero3.jpg',
         '1c407146f8762b3b14a7953ff9bc4c01ed64c467d7277122e769bf7e816017a4',
         _OPENCV, 'OpenCV contributors', 'aerial view of a town (another view)', group='aero'),
    _deb('graffiti_1', 'train', _OPENCV_DATA, 'graf1.png',
         '1504b769303c7bde00fa578eeaad3c68e02aceabeb1242e556f1f8d19e4bdea5',
         _OPENCV, 'OpenCV contributors (Oxford affine set)', 'graffiti wall', group='graffiti'),
    _deb('graffiti_3', 'train', _OPENCV_DATA, 'graf3.png',
         '492e0e96f21748d093e1a29f4dbfd46528bd75966937e85ce7c8abc0f361fc15',
         _OPENCV, 'OpenCV contributors (Oxford affine set)', 'graffiti wall (another view)', group='graffiti'),
    _deb('notebook', 'train', _OPENCV_DATA, 'ela_original.jpg',
         'b55798b35e2dcb24675f0865a2442d0e4887eeb6aff322ecb1968d936cc23e7f',
         _OPENCV, 'OpenCV contributors', 'notebook on a table'),
    _deb('books_left', 'train', _OPENCV_DATA, 'left.jpg',
         'fb314330c3eb0a81651c682803e73b348898157267fbc37c4c2c07d1b3a8e321',
         _OPENCV, 'OpenCV contributors', 'books on a shelf (stereo left)', group='books'),
    _deb('books_right', 'train', _OPENCV_DATA, 'right.jpg',
         '20972954be263a99194d1373d9a5cd8d2dc92acf69b55470b6951f3b3475017f',
         _OPENCV, 'OpenCV contributors', 'books on a shelf (stereo right)', group='books'),
    _deb('rubberwhale_1', 'train', _OPENCV_DATA, 'rubberwhale1.png',
         'eb312435369dac9efcc92f7e098edbd9ed8d7e6dfede8b3b4d8e3702cd80b796',
         _OPENCV, 'OpenCV contributors (Middlebury flow)', 'toys on a table', group='rubberwhale'),
    _deb('rubberwhale_2', 'train', _OPENCV_DATA, 'rubberwhale2.png',
         'ee309a00d47b837b322ea5d9128775e0c46869b8014376286ba316a073d293ac',
         _OPENCV, 'OpenCV contributors (Middlebury flow)', 'toys on a table (next frame)', group='rubberwhale'),
    _deb('circuit', 'train', _OPENCV_DATA, 'board.jpg',
         '4c9a24ba67138ad5486d550f586cc5dd1161be112f1c1bea336d6c550cdf255f',
         _OPENCV, 'OpenCV contributors', 'circuit board'),
    _deb('fig', 'train', _LOMIRI_16, 'Picture_0B_by_freespace.jpg',
         'c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad',
         _CCBY4, 'Trevor (freespace)', 'fig in a red bowl'),
    _deb('brushes', 'train', _LOMIRI_16, 'Picture_1A_by_freespace.jpg',
         '89e86af38d04daaef975665dc2127e9fa76f0fd68f4eea105a2d0ae3390b010b',
         _CCBY4, 'Trevor (freespace)', 'paint brushes'),
    _deb('lamps', 'train', _LOMIRI_16, 'free_by_Peter_Nerlich.jpg',
         '85a5453c2fed514c75973016f3d862aca62eb7ca087618822469274ac1092373',
         _CCBYSA4, 'Peter Nerlich', 'lamps, a bird figure'),
    _deb('stream', 'train', _LOMIRI_16, 'life_by_Aitzol_Berasategi.jpg',
         '4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05',
         _CCBY4, 'Aitzol Berasategi', 'forest stream, rocks'),
    _deb('dandelions', 'train', _LOMIRI_16, 'seeding_by_Clements_Engelhardt.jpg',
         'a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f',
         _CC0, 'Clemens Engelhardt', 'dandelions'),
    _deb('sunset', 'train', _LOMIRI_16, 'sunset_by_Aitzol_Berasategi.jpg',
         '474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18',
         _CCBY4, 'Aitzol Berasategi', 'sunset over hills'),
    _deb('dragonfly_left', 'train', _LOMIRI_16, 'Dragonfly_by_Bolly.jpg',
         'af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3',
         _CCBYSA4, 'Bolly', 'tree leaves, sky (left half)', group='dragonfly', crop=LEFT_HALF),
    _deb('dragonfly_right', 'train', _LOMIRI_16, 'Dragonfly_by_Bolly.jpg',
         'af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3',
         _CCBYSA4, 'Bolly', 'tree leaves, sky (right half)', group='dragonfly', crop=RIGHT_HALF),
    _deb('nuthatch_left', 'train', _LOMIRI_20, 'Kleiber_by_Lukas_Baubkus.jpg',
         '6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7',
         _CCBYSA3, 'Lukas Baubkus', 'tree trunk, bird (left half)', group='nuthatch', crop=LEFT_HALF),
    _deb('nuthatch_right', 'train', _LOMIRI_20, 'Kleiber_by_Lukas_Baubkus.jpg',
         '6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7',
         _CCBYSA3, 'Lukas Baubkus', 'blurred background (right half)', group='nuthatch', crop=RIGHT_HALF),
    _deb('water_drop', 'train', _MATE_NATURE, 'Aqua.jpg',
         '5c30118205982da441bf7e6a1ada636a8a0be879408140b3148280c665ed6bce',
         _GPL, 'Charles Barbin', 'water drop splash'),
    _deb('leaf', 'train', _MATE_NATURE, 'Blinds.jpg',
         'f7aac0dcc2e06d0491643e84df3da1d9db7c4610f58806a880d56e074799f600',
         _GPL, 'Lennart Poettering, Andrea Cimitan', 'green leaf'),
    _deb('dune', 'train', _MATE_NATURE, 'Dune.jpg',
         '8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91',
         _GPL, 'Marco Cogoni, Hylke Bons', 'dune grass, sea'),
    _deb('orange_flower', 'train', _MATE_NATURE, 'FreshFlower.jpg',
         '972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e',
         _GPL, 'Jens Ansorg', 'orange flower'),
    _deb('red_flower', 'train', _MATE_NATURE, 'Garden.jpg',
         'd3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78',
         _GPL, 'Charles Barbin', 'red flower'),
    _deb('meadow', 'train', _MATE_NATURE, 'GreenMeadow.jpg',
         '8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832',
         _GPL, 'Timothy Schellhase, Lapo Calamandrei', 'grass blades'),
    _deb('seeds', 'train', _MATE_NATURE, 'TwoWings.jpg',
         '665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb',
         _GPL, 'Charles Barbin, Hylke Bons', 'seeds on a flower'),
    _deb('wood', 'train', _MATE_NATURE, 'Wood.jpg',
         '19c78500ac00a622e19907ab9cc7d06d46fe08c4a6142759a84195696150ec07',
         _GPL, 'Jean-Francois Fortin Tam', 'wooden planks'),
    _deb('yellow_flower', 'train', _MATE_NATURE, 'YellowFlower.jpg',
         '254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306',
         _GPL, 'Charles Barbin', 'yellow flower'),
    _deb('pier_left', 'train', _PLASMA, 'BytheWater/contents/images/2560x1600.jpg',
         'c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f',
         _GPL, 'Maciej Wiklo (KDE)', 'wooden pier, lake (left half)', group='pier', crop=LEFT_HALF),
    _deb('pier_right', 'train', _PLASMA, 'BytheWater/contents/images/2560x1600.jpg',
         'c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f',
         _GPL, 'Maciej Wiklo (KDE)', 'wooden pier, lake (right half)', group='pier', crop=RIGHT_HALF),
    _deb('jetty', 'train', _PLASMA, 'ColdRipple/contents/images/2560x1600.jpg',
         '05bef6722fc0ed81292cceb3ed026c38d17e510f3c84be7d68610c2b1a723c3f',
         _GPL, 'Risto Saukonpaa (KDE)', 'jetty in fog (monochrome)'),
    _deb('dark_lake', 'train', _PLASMA, 'DarkestHour/contents/images/2560x1600.jpg',
         '8e3703fae3a3c217b1fc2b399b706cd3720584268d071ba153e4809daa55f1ce',
         _GPL, 'Risto Saukonpaa (KDE)', 'lake at night'),
    _deb('fallen_leaf_left', 'train', _PLASMA, 'FallenLeaf/contents/images/2560x1600.jpg',
         '95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de',
         _GPL, 'Martin Klapetek (KDE)', 'autumn leaves (left half)', group='fallen_leaf', crop=LEFT_HALF),
    _deb('fallen_leaf_right', 'train', _PLASMA, 'FallenLeaf/contents/images/2560x1600.jpg',
         '95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de',
         _GPL, 'Martin Klapetek (KDE)', 'autumn leaves (right half)', group='fallen_leaf', crop=RIGHT_HALF),
    _deb('facade', 'train', _PLASMA, 'Grey/contents/images/2560x1600.jpg',
         '88c31d8944b7e6935d1b9a296654c692f0772cb512491713eb30a972a604c0ed',
         _GPL, 'Sigi Sagi (KDE)', 'building facade (monochrome)'),
    _deb('moss_left', 'train', _PLASMA, 'OneStandsOut/contents/images/2560x1600.jpg',
         'cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd',
         _GPL, 'Risto Saukonpaa (KDE)', 'moss (left half)', group='moss', crop=LEFT_HALF),
    _deb('moss_right', 'train', _PLASMA, 'OneStandsOut/contents/images/2560x1600.jpg',
         'cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd',
         _GPL, 'Risto Saukonpaa (KDE)', 'moss (right half)', group='moss', crop=RIGHT_HALF),
    _deb('forest_left', 'train', _PLASMA, 'Path/contents/images/2560x1600.jpg',
         '7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8',
         _GPL, 'Risto Saukonpaa (KDE)', 'forest path (left half)', group='forest', crop=LEFT_HALF),
    _deb('forest_right', 'train', _PLASMA, 'Path/contents/images/2560x1600.jpg',
         '7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8',
         _GPL, 'Risto Saukonpaa (KDE)', 'forest path (right half)', group='forest', crop=RIGHT_HALF),
    _deb('box_in_scene', 'train', _OPENCV_DATA, 'box_in_scene.png',
         '8b0225ff76244a42bd1400c0904f8b7afea7d97b7d8115495e42e98ad347bd51',
         _OPENCV, 'OpenCV contributors', 'boxes and books on a table (grayscale)'),
    _deb('licenseplate', 'train', _OPENCV_DATA, 'licenseplate_motion.jpg',
         'ea6fa9cea75df91bec656d1d3b903111a9c0708c6a3b88f405a5156de38ff9d6',
         _OPENCV, 'OpenCV contributors', 'car rear, motion blur'),
    _deb('castle', 'train', _PALAPELI, 'castle-maintenon.jpg',
         'f4a6bf48b97d97715413f9ebd2d8744bd46df0e492bc8326e2513d51084f2612',
         _GFDL, 'Eric Pouhier', 'castle, moat, trees'),
    _deb('honey_bee', 'train', _PALAPELI, 'european-honey-bee.jpg',
         '9d54ae706bddd899c91b2b801d9ca4556a5a9a399b4043f9d539df62a8cb7f27',
         _PD, 'John Severns', 'bee on a flower'),
    _deb('chameleon', 'train', _PALAPELI, 'panther-chameleon-female.jpg',
         'adb9e2834a8a3db40ca3817452b956ada527085e5aa2bd604c465651a3834ae4',
         _GFDL, 'B. Navez and others', 'chameleon on a branch'),
    _deb('parking_ramp', 'train', _SCRATCH, 'Outdoors/parking-ramp.jpg',
         '2e147b79b03a7565cf082d4ffd91c8cdd6c381b7100c406b643b6b95035366ea',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'parking garage entrance, street'),
    _deb('route66', 'train', _SCRATCH, 'Outdoors/route66.jpg',
         '9202a27db67f8758e5528dcc7438ce42d53c9f33619fb1634ada6ceda3a01204',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'empty road, sign, sky'),
    _deb('shacks', 'train', _SCRATCH, 'Outdoors/houses.jpg',
         'e06f499ea6830d58e954a63dc067abff595156a283f14a720400a1ddf121e870',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'tin shacks, dirt road'),
    _deb('village', 'train', _SCRATCH, 'Outdoors/village.jpg',
         'a6b20f4ada48f55837db5db53b006fe41b3a33913bcdf98f4bced666a453c838',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'shacks, hills, clouds'),
    _deb('lake', 'train', _SCRATCH, 'Nature/lake.jpg',
         '398c72f0bfb8d6f5cf25b00d046201868fbec33c3e7a3e713f50c3f427d45539',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'trees over a pond, heron'),
    _deb('beach', 'train', _SCRATCH, 'Nature/beach-malibu.jpg',
         '13ecd1022ff35a5d817054ccf86749bc7229b990da104e00cbe74b15daff7a1b',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'beach, sea, cliffs'),
    _deb('train_tracks', 'train', _SCRATCH, 'Outdoors/train-tracks1.jpg',
         '8780a22be05ddd1baf7aff86adf43d60f063a042daf5da1194183ed2b4cf38a1',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'railway track, valley'),
    _deb('mit_building', 'train', _SCRATCH, 'Outdoors/building-at-mit.jpg',
         '72724d90df71e8340b59d9199b736a839582d4145c94a730b663cf9ad3d6941e',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'perforated building, lawn'),
    _deb('hay_field', 'train', _SCRATCH, 'Outdoors/hay_field.jpg',
         '2c3559b215100bafcae23b7aeefaaa09b40b013b7facd5b716ca92ef81bc06df',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'hay bales in a field'),
    _deb('bench_view', 'train', _SCRATCH, 'Outdoors/bench-with-view.jpg',
         'b3cf022ad65e8b0fe837214bedf378532a068e19a0bb28081ec255adc4341170',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'bench, lawn, sea view'),
    _deb('pergola', 'train', _SCRATCH, 'Nature/pathway.jpg',
         'a26c8ebd2305c20b2ba1524313d0cbf85229ec3c9fab72e58056a83c74e9b6a0',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'garden seen through a pergola'),
    _deb('birches', 'train', _SCRATCH, 'Nature/forest.jpg',
         'c4176201e98934611b1b31270897fc23c82c55f9a59b81af75cf6b0c2757e54c',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'birch trunks'),
    _deb('chateau', 'train', _SCRATCH, 'Outdoors/driveway.jpg',
         'd68a17363238af3667767d2675bace26b4c92249eacb15c4a922890f4665ee5b',
         _CCBYSA3, 'MIT (Scratch 1.4 media)', 'driveway to a chateau, autumn trees'),
)  # fmt: skip

# What each test photo shows, as COCO class names: a per-photo tag. A segmenter is scored only
# on the photos that show one of its classes (a person segmenter on the 7 with people: on the
# others it paints objects as "person" already on the clean photo, and pseudo ground truth
# would score that wrong mask as "consistent"). Checked against both embedded detectors and
# the selfie segmenter on the clean photos (tests/test_data.py).
SHOWS: dict[str, tuple[str, ...]] = {
    "astronaut": ("person",),
    "grace_hopper": ("person", "tie"),
    "cameraman": ("person",),
    "chelsea": ("cat",),
    "coffee": ("cup", "spoon", "dining table"),
    "basketball1": ("person", "sports ball"),
    "basketball2": ("person", "sports ball"),
    "building": ("person", "car"),
    "fruits": ("orange",),
    "messi": ("person", "sports ball"),
    "leuven_a": ("bicycle",),
    "leuven_b": ("bicycle",),
    "chicky": ("dog",),
    "squirrel": (),
    "apple": ("apple",),
    "orange": ("orange",),
    "baboon": (),
    "smarties": (),
    "stuff": (),
    "aloe": ("potted plant", "vase"),
    "wine": ("bottle", "wine glass"),
    "friends": ("dog",),
    "picos": ("sheep",),
    "cups": ("cup",),
    "boats_left": ("boat",),
    "boats_right": ("boat",),
    "citrus": ("orange",),
    "kitchen": ("oven", "sink"),
}
