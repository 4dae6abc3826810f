//! ISO 3166-1 countries for `country-name-to-iso-code`: the table, and looking a name
//! up in it.
//!
//! Names compare after [`normalize`]: letter case, accents, punctuation, `&` for `and`,
//! `St`/`St.` for `Saint` and a leading or trailing `The` do not matter, so `cote d'ivoire`,
//! `The Bahamas` and `St. Lucia` all match. Besides the ISO short name every country
//! may have aliases (common and official names: `USA`, `United Kingdom`, `Vietnam`),
//! and its own alpha-2 and alpha-3 codes match it too.

use alloc::{string::String, vec, vec::Vec};

/// One ISO 3166-1 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// The ISO 3166-1 English short name.
    pub name: &'static str,
    pub alpha2: &'static str,
    pub alpha3: &'static str,
    /// Other names it is known by.
    pub aliases: &'static [&'static str],
}

const fn c(
    name: &'static str,
    alpha2: &'static str,
    alpha3: &'static str,
    aliases: &'static [&'static str],
) -> Country {
    Country {
        name,
        alpha2,
        alpha3,
        aliases,
    }
}

/// The country `query` names, by name, alias or code.
pub fn find(query: &str) -> Option<&'static Country> {
    let wanted = normalize(query);
    if wanted.is_empty() {
        return None;
    }
    COUNTRIES
        .iter()
        .find(|country| names(country).any(|name| normalize(name) == wanted))
        .or_else(|| {
            let code = query.trim();
            COUNTRIES.iter().find(|country| {
                country.alpha2.eq_ignore_ascii_case(code)
                    || country.alpha3.eq_ignore_ascii_case(code)
            })
        })
}

/// The ISO names of the (at most `count`) countries whose names or aliases are closest
/// to `query` (by edit distance after normalising), closest first.
pub fn closest(query: &str, count: usize) -> Vec<&'static str> {
    let wanted: Vec<char> = normalize(query).chars().collect();
    let mut scored: Vec<(usize, usize, &'static str)> = COUNTRIES
        .iter()
        .enumerate()
        .map(|(index, country)| {
            let distance = names(country)
                .map(|name| edit_distance(&wanted, &normalize(name).chars().collect::<Vec<_>>()))
                .min()
                .unwrap_or(usize::MAX);
            (distance, index, country.name)
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(count)
        .map(|(_, _, name)| name)
        .collect()
}

fn names(country: &Country) -> impl Iterator<Item = &'static str> {
    core::iter::once(country.name).chain(country.aliases.iter().copied())
}

/// Lower case without accents, punctuation or a leading or trailing "the"; `&` as "and", "st" as
/// "saint"; words separated by single spaces.
pub fn normalize(name: &str) -> String {
    let mut flat = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            // Dropped inside words: U.S.A. -> usa, d'Ivoire -> divoire.
            '.' | '\'' | '\u{2019}' | '`' => {}
            '&' => flat.push_str(" and "),
            c if c.is_alphanumeric() => flat.push(fold_accent(c)),
            _ => flat.push(' '),
        }
    }
    let mut words: Vec<&str> = flat.split_whitespace().collect();
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    // "Bahamas, The", "Congo, Democratic Republic of the".
    if words.len() > 1 && words.last() == Some(&"the") {
        words.pop();
    }
    words
        .iter()
        .map(|word| if *word == "st" { "saint" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The unaccented form of the accented Latin letters country names use.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        other => other,
    }
}

/// Levenshtein distance between two character sequences.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        core::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// ISO 3166-1: all 249 officially assigned codes, ordered by name as the standard lists
/// them, with aliases.
pub const COUNTRIES: &[Country] = &[
    c("Afghanistan", "AF", "AFG", &[]),
    c("Åland Islands", "AX", "ALA", &["Aland"]),
    c("Albania", "AL", "ALB", &[]),
    c("Algeria", "DZ", "DZA", &[]),
    c("American Samoa", "AS", "ASM", &[]),
    c("Andorra", "AD", "AND", &[]),
    c("Angola", "AO", "AGO", &[]),
    c("Anguilla", "AI", "AIA", &[]),
    c("Antarctica", "AQ", "ATA", &[]),
    c("Antigua and Barbuda", "AG", "ATG", &["Antigua"]),
    c("Argentina", "AR", "ARG", &[]),
    c("Armenia", "AM", "ARM", &[]),
    c("Aruba", "AW", "ABW", &[]),
    c("Australia", "AU", "AUS", &[]),
    c("Austria", "AT", "AUT", &[]),
    c("Azerbaijan", "AZ", "AZE", &[]),
    c("Bahamas", "BS", "BHS", &[]),
    c("Bahrain", "BH", "BHR", &[]),
    c("Bangladesh", "BD", "BGD", &[]),
    c("Barbados", "BB", "BRB", &[]),
    c("Belarus", "BY", "BLR", &["Byelorussia"]),
    c("Belgium", "BE", "BEL", &[]),
    c("Belize", "BZ", "BLZ", &[]),
    c("Benin", "BJ", "BEN", &[]),
    c("Bermuda", "BM", "BMU", &[]),
    c("Bhutan", "BT", "BTN", &[]),
    c(
        "Bolivia (Plurinational State of)",
        "BO",
        "BOL",
        &["Bolivia", "Plurinational State of Bolivia"],
    ),
    c(
        "Bonaire, Sint Eustatius and Saba",
        "BQ",
        "BES",
        &["Bonaire", "Caribbean Netherlands"],
    ),
    c(
        "Bosnia and Herzegovina",
        "BA",
        "BIH",
        &["Bosnia", "Bosnia-Herzegovina"],
    ),
    c("Botswana", "BW", "BWA", &[]),
    c("Bouvet Island", "BV", "BVT", &[]),
    c("Brazil", "BR", "BRA", &["Brasil"]),
    c("British Indian Ocean Territory", "IO", "IOT", &[]),
    c("Brunei Darussalam", "BN", "BRN", &["Brunei"]),
    c("Bulgaria", "BG", "BGR", &[]),
    c("Burkina Faso", "BF", "BFA", &[]),
    c("Burundi", "BI", "BDI", &[]),
    c("Cabo Verde", "CV", "CPV", &["Cape Verde"]),
    c("Cambodia", "KH", "KHM", &[]),
    c("Cameroon", "CM", "CMR", &[]),
    c("Canada", "CA", "CAN", &[]),
    c("Cayman Islands", "KY", "CYM", &[]),
    c("Central African Republic", "CF", "CAF", &[]),
    c("Chad", "TD", "TCD", &[]),
    c("Chile", "CL", "CHL", &[]),
    c("China", "CN", "CHN", &["People's Republic of China", "PRC"]),
    c("Christmas Island", "CX", "CXR", &[]),
    c(
        "Cocos (Keeling) Islands",
        "CC",
        "CCK",
        &["Cocos Islands", "Keeling Islands"],
    ),
    c("Colombia", "CO", "COL", &[]),
    c("Comoros", "KM", "COM", &[]),
    c(
        "Congo",
        "CG",
        "COG",
        &[
            "Republic of the Congo",
            "Congo Republic",
            "Congo-Brazzaville",
        ],
    ),
    c(
        "Congo, Democratic Republic of the",
        "CD",
        "COD",
        &[
            "Democratic Republic of the Congo",
            "Congo, The Democratic Republic of the",
            "DR Congo",
            "DRC",
            "Congo-Kinshasa",
        ],
    ),
    c("Cook Islands", "CK", "COK", &[]),
    c("Costa Rica", "CR", "CRI", &[]),
    c("Côte d'Ivoire", "CI", "CIV", &["Ivory Coast"]),
    c("Croatia", "HR", "HRV", &[]),
    c("Cuba", "CU", "CUB", &[]),
    c("Curaçao", "CW", "CUW", &[]),
    c("Cyprus", "CY", "CYP", &[]),
    c("Czechia", "CZ", "CZE", &["Czech Republic"]),
    c("Denmark", "DK", "DNK", &[]),
    c("Djibouti", "DJ", "DJI", &[]),
    c("Dominica", "DM", "DMA", &[]),
    c("Dominican Republic", "DO", "DOM", &[]),
    c("Ecuador", "EC", "ECU", &[]),
    c("Egypt", "EG", "EGY", &[]),
    c("El Salvador", "SV", "SLV", &[]),
    c("Equatorial Guinea", "GQ", "GNQ", &[]),
    c("Eritrea", "ER", "ERI", &[]),
    c("Estonia", "EE", "EST", &[]),
    c("Eswatini", "SZ", "SWZ", &["Swaziland"]),
    c("Ethiopia", "ET", "ETH", &[]),
    c(
        "Falkland Islands (Malvinas)",
        "FK",
        "FLK",
        &["Falkland Islands", "Falklands", "Malvinas"],
    ),
    c("Faroe Islands", "FO", "FRO", &["Faroes", "Faeroe Islands"]),
    c("Fiji", "FJ", "FJI", &[]),
    c("Finland", "FI", "FIN", &[]),
    c("France", "FR", "FRA", &["French Republic"]),
    c("French Guiana", "GF", "GUF", &[]),
    c("French Polynesia", "PF", "PYF", &[]),
    c("French Southern Territories", "TF", "ATF", &[]),
    c("Gabon", "GA", "GAB", &[]),
    c("Gambia", "GM", "GMB", &[]),
    c("Georgia", "GE", "GEO", &[]),
    c("Germany", "DE", "DEU", &["Federal Republic of Germany"]),
    c("Ghana", "GH", "GHA", &[]),
    c("Gibraltar", "GI", "GIB", &[]),
    c("Greece", "GR", "GRC", &["Hellenic Republic"]),
    c("Greenland", "GL", "GRL", &[]),
    c("Grenada", "GD", "GRD", &[]),
    c("Guadeloupe", "GP", "GLP", &[]),
    c("Guam", "GU", "GUM", &[]),
    c("Guatemala", "GT", "GTM", &[]),
    c("Guernsey", "GG", "GGY", &[]),
    c("Guinea", "GN", "GIN", &[]),
    c("Guinea-Bissau", "GW", "GNB", &[]),
    c("Guyana", "GY", "GUY", &[]),
    c("Haiti", "HT", "HTI", &[]),
    c(
        "Heard Island and McDonald Islands",
        "HM",
        "HMD",
        &["Heard and McDonald Islands"],
    ),
    c(
        "Holy See",
        "VA",
        "VAT",
        &[
            "Vatican",
            "Vatican City",
            "Vatican City State",
            "Holy See (Vatican City State)",
        ],
    ),
    c("Honduras", "HN", "HND", &[]),
    c("Hong Kong", "HK", "HKG", &["Hong Kong SAR"]),
    c("Hungary", "HU", "HUN", &[]),
    c("Iceland", "IS", "ISL", &[]),
    c("India", "IN", "IND", &[]),
    c("Indonesia", "ID", "IDN", &[]),
    c(
        "Iran (Islamic Republic of)",
        "IR",
        "IRN",
        &["Iran", "Islamic Republic of Iran"],
    ),
    c("Iraq", "IQ", "IRQ", &[]),
    c("Ireland", "IE", "IRL", &["Republic of Ireland", "Eire"]),
    c("Isle of Man", "IM", "IMN", &[]),
    c("Israel", "IL", "ISR", &[]),
    c("Italy", "IT", "ITA", &[]),
    c("Jamaica", "JM", "JAM", &[]),
    c("Japan", "JP", "JPN", &[]),
    c("Jersey", "JE", "JEY", &[]),
    c("Jordan", "JO", "JOR", &[]),
    c("Kazakhstan", "KZ", "KAZ", &[]),
    c("Kenya", "KE", "KEN", &[]),
    c("Kiribati", "KI", "KIR", &[]),
    c(
        "Korea (Democratic People's Republic of)",
        "KP",
        "PRK",
        &[
            "North Korea",
            "Democratic People's Republic of Korea",
            "DPRK",
        ],
    ),
    c(
        "Korea, Republic of",
        "KR",
        "KOR",
        &["South Korea", "Republic of Korea", "Korea"],
    ),
    c("Kuwait", "KW", "KWT", &[]),
    c("Kyrgyzstan", "KG", "KGZ", &["Kyrgyz Republic"]),
    c(
        "Lao People's Democratic Republic",
        "LA",
        "LAO",
        &["Laos", "Lao"],
    ),
    c("Latvia", "LV", "LVA", &[]),
    c("Lebanon", "LB", "LBN", &[]),
    c("Lesotho", "LS", "LSO", &[]),
    c("Liberia", "LR", "LBR", &[]),
    c("Libya", "LY", "LBY", &[]),
    c("Liechtenstein", "LI", "LIE", &[]),
    c("Lithuania", "LT", "LTU", &[]),
    c("Luxembourg", "LU", "LUX", &[]),
    c("Macao", "MO", "MAC", &["Macau"]),
    c("Madagascar", "MG", "MDG", &[]),
    c("Malawi", "MW", "MWI", &[]),
    c("Malaysia", "MY", "MYS", &[]),
    c("Maldives", "MV", "MDV", &[]),
    c("Mali", "ML", "MLI", &[]),
    c("Malta", "MT", "MLT", &[]),
    c("Marshall Islands", "MH", "MHL", &[]),
    c("Martinique", "MQ", "MTQ", &[]),
    c("Mauritania", "MR", "MRT", &[]),
    c("Mauritius", "MU", "MUS", &[]),
    c("Mayotte", "YT", "MYT", &[]),
    c("Mexico", "MX", "MEX", &["United Mexican States"]),
    c(
        "Micronesia (Federated States of)",
        "FM",
        "FSM",
        &["Micronesia", "Federated States of Micronesia"],
    ),
    c(
        "Moldova, Republic of",
        "MD",
        "MDA",
        &["Moldova", "Republic of Moldova"],
    ),
    c("Monaco", "MC", "MCO", &[]),
    c("Mongolia", "MN", "MNG", &[]),
    c("Montenegro", "ME", "MNE", &[]),
    c("Montserrat", "MS", "MSR", &[]),
    c("Morocco", "MA", "MAR", &[]),
    c("Mozambique", "MZ", "MOZ", &[]),
    c("Myanmar", "MM", "MMR", &["Burma"]),
    c("Namibia", "NA", "NAM", &[]),
    c("Nauru", "NR", "NRU", &[]),
    c("Nepal", "NP", "NPL", &[]),
    c(
        "Netherlands, Kingdom of the",
        "NL",
        "NLD",
        &["Netherlands", "Kingdom of the Netherlands", "Holland"],
    ),
    c("New Caledonia", "NC", "NCL", &[]),
    c("New Zealand", "NZ", "NZL", &[]),
    c("Nicaragua", "NI", "NIC", &[]),
    c("Niger", "NE", "NER", &[]),
    c("Nigeria", "NG", "NGA", &[]),
    c("Niue", "NU", "NIU", &[]),
    c("Norfolk Island", "NF", "NFK", &[]),
    c(
        "North Macedonia",
        "MK",
        "MKD",
        &["Macedonia", "Republic of North Macedonia"],
    ),
    c("Northern Mariana Islands", "MP", "MNP", &[]),
    c("Norway", "NO", "NOR", &[]),
    c("Oman", "OM", "OMN", &[]),
    c("Pakistan", "PK", "PAK", &[]),
    c("Palau", "PW", "PLW", &[]),
    c(
        "Palestine, State of",
        "PS",
        "PSE",
        &["Palestine", "State of Palestine"],
    ),
    c("Panama", "PA", "PAN", &[]),
    c("Papua New Guinea", "PG", "PNG", &[]),
    c("Paraguay", "PY", "PRY", &[]),
    c("Peru", "PE", "PER", &[]),
    c("Philippines", "PH", "PHL", &[]),
    c("Pitcairn", "PN", "PCN", &["Pitcairn Islands"]),
    c("Poland", "PL", "POL", &[]),
    c("Portugal", "PT", "PRT", &[]),
    c("Puerto Rico", "PR", "PRI", &[]),
    c("Qatar", "QA", "QAT", &[]),
    c("Réunion", "RE", "REU", &[]),
    c("Romania", "RO", "ROU", &[]),
    c("Russian Federation", "RU", "RUS", &["Russia"]),
    c("Rwanda", "RW", "RWA", &[]),
    c(
        "Saint Barthélemy",
        "BL",
        "BLM",
        &["St Barts", "Saint Barts"],
    ),
    c(
        "Saint Helena, Ascension and Tristan da Cunha",
        "SH",
        "SHN",
        &["Saint Helena"],
    ),
    c("Saint Kitts and Nevis", "KN", "KNA", &["Saint Kitts"]),
    c("Saint Lucia", "LC", "LCA", &[]),
    c("Saint Martin (French part)", "MF", "MAF", &["Saint Martin"]),
    c("Saint Pierre and Miquelon", "PM", "SPM", &[]),
    c(
        "Saint Vincent and the Grenadines",
        "VC",
        "VCT",
        &["Saint Vincent"],
    ),
    c("Samoa", "WS", "WSM", &[]),
    c("San Marino", "SM", "SMR", &[]),
    c(
        "Sao Tome and Principe",
        "ST",
        "STP",
        &["São Tomé and Príncipe"],
    ),
    c("Saudi Arabia", "SA", "SAU", &[]),
    c("Senegal", "SN", "SEN", &[]),
    c("Serbia", "RS", "SRB", &[]),
    c("Seychelles", "SC", "SYC", &[]),
    c("Sierra Leone", "SL", "SLE", &[]),
    c("Singapore", "SG", "SGP", &[]),
    c("Sint Maarten (Dutch part)", "SX", "SXM", &["Sint Maarten"]),
    c("Slovakia", "SK", "SVK", &["Slovak Republic"]),
    c("Slovenia", "SI", "SVN", &[]),
    c("Solomon Islands", "SB", "SLB", &[]),
    c("Somalia", "SO", "SOM", &[]),
    c("South Africa", "ZA", "ZAF", &[]),
    c(
        "South Georgia and the South Sandwich Islands",
        "GS",
        "SGS",
        &["South Georgia"],
    ),
    c("South Sudan", "SS", "SSD", &[]),
    c("Spain", "ES", "ESP", &[]),
    c("Sri Lanka", "LK", "LKA", &[]),
    c("Sudan", "SD", "SDN", &[]),
    c("Suriname", "SR", "SUR", &["Surinam"]),
    c("Svalbard and Jan Mayen", "SJ", "SJM", &["Svalbard"]),
    c("Sweden", "SE", "SWE", &[]),
    c("Switzerland", "CH", "CHE", &[]),
    c("Syrian Arab Republic", "SY", "SYR", &["Syria"]),
    c("Taiwan, Province of China", "TW", "TWN", &["Taiwan"]),
    c("Tajikistan", "TJ", "TJK", &[]),
    c(
        "Tanzania, United Republic of",
        "TZ",
        "TZA",
        &["Tanzania", "United Republic of Tanzania"],
    ),
    c("Thailand", "TH", "THA", &[]),
    c("Timor-Leste", "TL", "TLS", &["East Timor"]),
    c("Togo", "TG", "TGO", &[]),
    c("Tokelau", "TK", "TKL", &[]),
    c("Tonga", "TO", "TON", &[]),
    c("Trinidad and Tobago", "TT", "TTO", &["Trinidad"]),
    c("Tunisia", "TN", "TUN", &[]),
    c("Türkiye", "TR", "TUR", &["Turkey"]),
    c("Turkmenistan", "TM", "TKM", &[]),
    c(
        "Turks and Caicos Islands",
        "TC",
        "TCA",
        &["Turks and Caicos"],
    ),
    c("Tuvalu", "TV", "TUV", &[]),
    c("Uganda", "UG", "UGA", &[]),
    c("Ukraine", "UA", "UKR", &[]),
    c("United Arab Emirates", "AE", "ARE", &["UAE", "Emirates"]),
    c(
        "United Kingdom of Great Britain and Northern Ireland",
        "GB",
        "GBR",
        &[
            "United Kingdom",
            "UK",
            "Great Britain",
            "Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
        ],
    ),
    c(
        "United States of America",
        "US",
        "USA",
        &["United States", "America", "U.S.A.", "U.S."],
    ),
    c(
        "United States Minor Outlying Islands",
        "UM",
        "UMI",
        &["US Minor Outlying Islands"],
    ),
    c("Uruguay", "UY", "URY", &[]),
    c("Uzbekistan", "UZ", "UZB", &[]),
    c("Vanuatu", "VU", "VUT", &[]),
    c(
        "Venezuela (Bolivarian Republic of)",
        "VE",
        "VEN",
        &["Venezuela", "Bolivarian Republic of Venezuela"],
    ),
    c("Viet Nam", "VN", "VNM", &["Vietnam"]),
    c(
        "Virgin Islands (British)",
        "VG",
        "VGB",
        &["British Virgin Islands"],
    ),
    c(
        "Virgin Islands (U.S.)",
        "VI",
        "VIR",
        &["US Virgin Islands", "United States Virgin Islands"],
    ),
    c(
        "Wallis and Futuna",
        "WF",
        "WLF",
        &["Wallis and Futuna Islands"],
    ),
    c("Western Sahara", "EH", "ESH", &[]),
    c("Yemen", "YE", "YEM", &[]),
    c("Zambia", "ZM", "ZMB", &[]),
    c("Zimbabwe", "ZW", "ZWE", &[]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn code(name: &str) -> Option<&'static str> {
        find(name).map(|c| c.alpha2)
    }

    #[test]
    fn the_table_is_complete_and_consistent() {
        assert_eq!(COUNTRIES.len(), 249);
        let mut alpha2 = HashSet::new();
        let mut alpha3 = HashSet::new();
        let mut all_names = HashSet::new();
        for country in COUNTRIES {
            assert!(
                country.alpha2.len() == 2 && country.alpha2.bytes().all(|b| b.is_ascii_uppercase())
            );
            assert!(
                country.alpha3.len() == 3 && country.alpha3.bytes().all(|b| b.is_ascii_uppercase())
            );
            assert!(alpha2.insert(country.alpha2), "{} twice", country.alpha2);
            assert!(alpha3.insert(country.alpha3), "{} twice", country.alpha3);
            for name in names(country) {
                let normalized = normalize(name);
                // An alias may repeat its own country's name, never another country's.
                assert!(
                    all_names.insert(normalized.clone())
                        || find(name).is_some_and(|found| found == country),
                    "'{name}' names two countries"
                );
            }
        }
    }

    #[test]
    fn finds_common_and_official_names() {
        assert_eq!(code("United States"), Some("US"));
        assert_eq!(code("USA"), Some("US"));
        assert_eq!(code("u.s.a."), Some("US"));
        assert_eq!(code("United States of America"), Some("US"));
        assert_eq!(code("united kingdom"), Some("GB"));
        assert_eq!(code("UK"), Some("GB"));
        assert_eq!(code("Germany"), Some("DE"));
        assert_eq!(code("  GERMANY "), Some("DE"));
        assert_eq!(code("Cote d'Ivoire"), Some("CI"));
        assert_eq!(code("Côte d’Ivoire"), Some("CI"));
        assert_eq!(code("The Netherlands"), Some("NL"));
        assert_eq!(code("Bahamas, The"), Some("BS"));
        assert_eq!(code("the bahamas"), Some("BS"));
        assert_eq!(code("St. Lucia"), Some("LC"));
        assert_eq!(code("Trinidad & Tobago"), Some("TT"));
        assert_eq!(code("Bolivia (Plurinational State of)"), Some("BO"));
        assert_eq!(code("Korea, Republic of"), Some("KR"));
        assert_eq!(code("North Korea"), Some("KP"));
        assert_eq!(code("Guinea-Bissau"), Some("GW"));
        assert_eq!(code("Turkey"), Some("TR"));
        assert_eq!(code("türkiye"), Some("TR"));
        assert_eq!(code("Curacao"), Some("CW"));
        assert_eq!(code("fra"), Some("FR"));
        assert_eq!(code("de"), Some("DE"));
        assert_eq!(code("Atlantis"), None);
        assert_eq!(code(""), None);
        assert_eq!(code("..."), None);
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(closest("Germny", 3)[0], "Germany");
        assert_eq!(closest("Swedn", 1), ["Sweden"]);
        assert_eq!(closest("Untied States", 1), ["United States of America"]);
        assert_eq!(closest("anything", 3).len(), 3);
    }
}
